package dev.attachproof.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.attachproof.elf.ElfFile;
import dev.attachproof.elf.ElfFormatException;
import dev.attachproof.buildinfo.GoBuildInfo;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.Stream;

/**
 * The .go.buildinfo reader on hostile input: only {@link ElfFormatException}, with a one-line
 * reason, may come out. Both encodings are reached: Go 1.18+'s inline varint strings and the
 * older pointer form (flags bit 1 clear), and both ways of finding the header (the section, or a
 * scan of the first writable PT_LOAD when no section is named .go.buildinfo).
 */
@Tag(Readers.FUZZ)
class GoBuildInfoFuzzTest {

    /** The fixture the windows and seeds come from, built before any input runs; without a go, the class is skipped. */
    @BeforeAll
    static void fixture() {
        GoSeeds.fixture("default", true);
    }

    /** The real section of each installed toolchain's fixture, and its strings re-encoded the pre-1.18 way. */
    static Stream<Arguments> realSections() {
        return GoSeeds.toolchains().flatMap(t -> {
            byte[] real = Real.section(GoSeeds.fixture(t, true));
            String[] strings = GoSeeds.inlineBuildInfoStrings(real);
            return Stream.of(Arguments.of(Named.of(".go.buildinfo of " + t, real)),
                    Arguments.of(Named.of("pointer-form .go.buildinfo of " + t,
                            GoSeeds.pointerFormatBuildInfo(strings[0], strings[1], GoSeeds.BUILDINFO_ADDRESS))));
        });
    }

    /**
     * The section's bytes alone, in a small ELF that loads them (writable) at
     * GoSeeds.BUILDINFO_ADDRESS. An input of odd length is put in a section of another name,
     * so the reader has to find the header by scanning the segment.
     */
    @MethodSource("realSections")
    @FuzzTest(maxDuration = Readers.SHORT)
    void buildInfoSection(byte[] section) {
        ElfWriter w = new ElfWriter();
        w.addNoBits(".text", ElfWriter.SHF_ALLOC | ElfWriter.SHF_EXECINSTR, GoSeeds.TEXT_ADDRESS, 0x1000);
        w.add(section.length % 2 == 0 ? ".go.buildinfo" : ".data", ElfWriter.SHT_PROGBITS,
                ElfWriter.SHF_ALLOC | ElfWriter.SHF_WRITE, GoSeeds.BUILDINFO_ADDRESS, section);
        w.load(6);
        try {
            GoBuildInfo.read(ElfFile.of(w.build())).ifPresent(GoBuildInfo::optimized);
        } catch (ElfFormatException e) {
            Readers.refuse(e);
        }
    }

    /** The stripped fixture of the go on PATH (build info survives -s -w) and where its .go.buildinfo lies. */
    private static final class Real {
        static final byte[] IMAGE = GoSeeds.fixture("default", true);
        static final ElfFile.Section SECTION;
        /** Where the section's header sits in the section header table (to hide its name). */
        static final long HEADER;

        static {
            try {
                ElfFile elf = ElfFile.of(IMAGE);
                SECTION = elf.section(".go.buildinfo").orElseThrow();
                long shoff = java.nio.ByteBuffer.wrap(IMAGE).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong(40);
                HEADER = shoff + 64L * elf.sections().indexOf(SECTION);
            } catch (ElfFormatException e) {
                throw new IllegalStateException(e);
            }
        }

        static byte[] section(byte[] image) {
            try {
                ElfFile elf = ElfFile.of(image);
                return GoSeeds.bytes(elf, elf.section(".go.buildinfo").orElseThrow());
            } catch (ElfFormatException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /**
     * A real binary with up to three windows overwritten inside its .go.buildinfo; sometimes
     * rewritten into the pointer form with fuzzer-chosen pointers (near the section, so they
     * resolve), sometimes with the section's name hidden so the segment scan finds the header.
     */
    @Tag(Readers.SHORT_RUN)
    @FuzzTest(maxDuration = Readers.SHORT)
    void buildInfoWindow(FuzzedDataProvider data) {
        byte[] image = Real.IMAGE;
        long off = Real.SECTION.offset();
        long size = Real.SECTION.size();
        long addr = Real.SECTION.address();
        try (Window w = new Window(image)) {
            if (data.consumeBoolean()) {
                w.putInt(Real.HEADER, 0);   // sh_name 0: the empty name
            }
            if (data.consumeBoolean()) {
                // Pointer form: flags 0 (or big-endian), pointer size 4 or 8, pointers into or near the section.
                w.putByte(off + 15, data.consumeInt(0, 1));
                int ptr = data.pickValue(new int[] {8, 4, 8});
                w.putByte(off + 14, ptr);
                for (int k = 0; k < 2; k++) {
                    long target = addr + data.consumeLong(-64, size + 64);
                    if (ptr == 8) {
                        w.putLong(off + 16 + 8L * k, target);
                    } else {
                        w.putInt(off + 16 + 4L * k, (int) target);
                    }
                }
            }
            int patches = data.consumeInt(0, 3);
            for (int p = 0; p < patches; p++) {
                // The 32-byte header and the first string's length are where the decisions are.
                long end = data.consumeBoolean() ? Math.min(size, 48) : size;
                w.patch(data, off, off + end);
            }
            GoBuildInfo.read(ElfFile.of(image)).ifPresent(GoBuildInfo::optimized);
        } catch (ElfFormatException e) {
            Readers.refuse(e);
        }
    }
}
