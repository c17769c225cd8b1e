package dev.attachproof.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.attachproof.elf.ElfFile;
import dev.attachproof.elf.ElfFormatException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.stream.Stream;

/**
 * The ELF reader (and, through {@link Readers#readAll}, every reader behind it) on hostile
 * files: only {@link ElfFormatException}, with a one-line reason, may come out.
 *
 * <p>Regression mode (plain {@code mvn verify}) replays the committed inputs under
 * src/test/resources/dev/attachproof/fuzz/ElfFuzzTestInputs and the {@code @MethodSource} seeds
 * made from freshly built fixtures; FUZZING.md says how to fuzz.
 */
@Tag(Readers.FUZZ)
class ElfFuzzTest {

    /** The fixture the windows and seeds come from, built before any input runs; without a go, the class is skipped. */
    @BeforeAll
    static void fixture() {
        GoSeeds.fixture("default", false);
    }

    /** Mini ELFs (see GoSeeds#miniElf) cut from the fixtures of every toolchain installed here. */
    static Stream<Arguments> miniElves() {
        return GoSeeds.toolchains().map(t -> Arguments.of(Named.of("mini ELF of " + t,
                GoSeeds.miniElf(GoSeeds.fixture(t, false)))));
    }

    /** Whole files, small: libFuzzer mutates a few-KB real ELF, and every reader reads it. */
    @Tag(Readers.SHORT_RUN)
    @MethodSource("miniElves")
    @FuzzTest(maxDuration = Readers.SHORT)
    void elfImage(byte[] image) {
        try {
            Readers.readAll(image);
        } catch (ElfFormatException e) {
            Readers.refuse(e);
        }
    }

    /** The real (unstripped) fixture, with its offsets precomputed for the windows. */
    private static final class Real {
        static final byte[] IMAGE = GoSeeds.fixture("default", false);
        static final long PHOFF;
        static final long PHEND;
        static final long SHOFF;
        static final long SHEND;
        static final ElfFile.Section[] SECTIONS;

        static {
            ByteBuffer b = ByteBuffer.wrap(IMAGE).order(ByteOrder.LITTLE_ENDIAN);
            PHOFF = b.getLong(32);
            PHEND = PHOFF + 56L * Short.toUnsignedInt(b.getShort(56));
            SHOFF = b.getLong(40);
            SHEND = SHOFF + 64L * Short.toUnsignedInt(b.getShort(60));
            try {
                SECTIONS = ElfFile.of(IMAGE).sections().toArray(ElfFile.Section[]::new);
            } catch (ElfFormatException e) {
                throw new IllegalStateException(e);
            }
        }

        static ElfFile.Section named(String prefix, int k) {
            return java.util.Arrays.stream(SECTIONS).filter(s -> s.name().startsWith(prefix)).skip(k).findFirst()
                    .orElse(SECTIONS[0]);
        }
    }

    /**
     * The structure of a real binary: up to three windows in its ELF header, program headers,
     * section headers, notes, symbol and string tables, or compression headers, then the
     * readers that walk them, and {@link ElfFile#readVirtual} at fuzzer-chosen addresses.
     */
    @FuzzTest(maxDuration = Readers.SHORT)
    void elfStructure(FuzzedDataProvider data) {
        byte[] image = Real.IMAGE;
        try (Window w = new Window(image)) {
            int patches = data.consumeInt(1, 3);
            for (int p = 0; p < patches; p++) {
                switch (data.consumeInt(0, 7)) {
                    case 0 -> w.patch(data, 0, 64);
                    case 1 -> w.patch(data, Real.PHOFF, Real.PHEND);
                    case 2, 3 -> w.patch(data, Real.SHOFF, Real.SHEND);
                    default -> {
                        ElfFile.Section s = switch (data.consumeInt(0, 2)) {
                            case 0 -> Real.named(".note", data.consumeInt(0, 1));
                            case 1 -> Real.named(data.pickValue(new String[] {".symtab", ".strtab", ".shstrtab"}), 0);
                            default -> Real.named(data.pickValue(new String[] {".debug_abbrev", ".debug_addr",
                                ".debug_gdb_scripts"}), 0);
                        };
                        // Compression and note headers sit at the start: aim there half the time.
                        long end = data.consumeBoolean() ? Math.min(s.size(), 64) : s.size();
                        w.patch(data, s.offset(), s.offset() + end);
                    }
                }
            }
            long vaddr = data.consumeLong();
            int length = data.consumeInt(-1, 64);
            ElfFile elf = ElfFile.of(image);
            elf.readVirtual(vaddr, length);
            elf.readVirtual(elf.firstLoadAddress() + (vaddr & 0x3fffff), length);
            elf.notes();
            elf.goBuildId();
            elf.symbols(GoSeeds.SYMBOLS);
            for (String name : new String[] {".debug_abbrev", ".debug_addr", ".debug_gdb_scripts"}) {
                elf.debugSection(name);
            }
        } catch (ElfFormatException e) {
            Readers.refuse(e);
        }
    }
}
