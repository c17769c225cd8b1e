package dev.attachproof.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.attachproof.dwarf.Dwarf;
import dev.attachproof.elf.ElfFile;
import dev.attachproof.elf.ElfFormatException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * The DWARF reader on hostile debug sections: only {@link ElfFormatException}, with a one-line
 * reason, may come out of {@link Dwarf#of}, {@link Dwarf#version}, the scan for the runtime's
 * structs, variables and constants, and a walk of every DIE and attribute; none may hang or
 * allocate without bound. The sections are the real ones of the go on PATH's fixture (DWARF 5)
 * and of Debian's Go 1.19 (DWARF 4), decompressed and laid out plain in a small ELF once; each
 * input overwrites up to three windows: in a unit header, in the DIEs, in the abbreviations, in
 * the string tables, anywhere.
 */
@Tag(Readers.FUZZ)
class DwarfFuzzTest {

    @BeforeAll
    static void fixture() {
        GoSeeds.fixture("default", false);
    }

    /** A small ELF holding the fixture's debug sections, uncompressed, and where each lies in it. */
    private static final class Plain {
        static final byte[][] IMAGES = {image("default"), image(dev.attachproof.testing.GoFixture.DEBIAN_GO_1_19)};
        /** Per image, each unit's [start, end) in .debug_info. */
        static final long[][][] UNITS = {units(IMAGES[0]), units(IMAGES[1])};

        static long[][] units(byte[] image) {
            try {
                return Dwarf.of(ElfFile.of(image)).orElseThrow().units().stream()
                        .map(u -> new long[] {u.offset(), u.end()}).toArray(long[][]::new);
            } catch (ElfFormatException e) {
                throw new IllegalStateException(e);
            }
        }

        static byte[] image(String toolchain) {
            if (!dev.attachproof.testing.GoFixture.available(toolchain)) {
                return image("default");
            }
            try {
                ElfFile real = ElfFile.of(GoSeeds.fixture(toolchain, false));
                ElfWriter w = new ElfWriter();
                long address = 0;
                for (String name : List.of(".debug_info", ".debug_abbrev", ".debug_str", ".debug_line_str",
                        ".debug_str_offsets", ".debug_addr")) {
                    var bytes = real.debugSection(name);
                    if (bytes.isPresent()) {
                        byte[] b = new byte[bytes.get().limit()];
                        bytes.get().get(0, b);
                        w.add(name, ElfWriter.SHT_PROGBITS, 0, address, b);
                    }
                }
                return w.build();
            } catch (ElfFormatException e) {
                throw new IllegalStateException(e);
            }
        }

        /** [offset, size] of section {@code name} in {@code image}, or null. */
        static long[] where(byte[] image, String name) {
            try {
                return ElfFile.of(image).section(name).map(s -> new long[] {s.offset(), s.size()}).orElse(null);
            } catch (ElfFormatException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /**
     * Up to three windows aimed at one unit (its header, its DIEs), the abbreviations or the
     * strings; then that unit walked (every DIE, every attribute every way, every reference
     * followed), or one time in eight the runtime layout scan the agent makes, which reads many
     * units and is slower.
     */
    @Tag(Readers.SHORT_RUN)
    @FuzzTest(maxDuration = Readers.SHORT)
    void debugSectionsWindow(FuzzedDataProvider data) {
        int which = data.consumeInt(0, Plain.IMAGES.length - 1);
        byte[] image = Plain.IMAGES[which];
        long[][] units = Plain.UNITS[which];
        int unit = data.consumeInt(0, units.length - 1);
        long[] info = Plain.where(image, ".debug_info");
        long[] abbrev = Plain.where(image, ".debug_abbrev");
        long[] str = Plain.where(image, ".debug_str");
        long from = info[0] + units[unit][0];
        long to = info[0] + units[unit][1];
        try (Window w = new Window(image)) {
            int patches = data.consumeInt(1, 3);
            for (int p = 0; p < patches; p++) {
                switch (data.consumeInt(0, 5)) {
                    case 0 -> w.patch(data, from, Math.min(to, from + 24));   // the unit header
                    case 1, 2 -> w.patch(data, from, to);
                    case 3 -> w.patch(data, abbrev[0], abbrev[0] + abbrev[1]);
                    case 4 -> {
                        if (str != null) {
                            w.patch(data, str[0], str[0] + str[1]);
                        }
                    }
                    default -> w.patch(data, info[0], info[0] + info[1]);
                }
            }
            ElfFile elf = ElfFile.of(image);
            Dwarf.version(elf);
            if (data.consumeInt(0, 7) == 0) {
                dev.attachproof.golang.RuntimeLayouts.fromDwarf(elf);
            } else {
                Dwarf dwarf = Dwarf.of(elf).orElseThrow();
                if (unit < dwarf.units().size()) {
                    walk(dwarf, dwarf.units().get(unit));
                }
            }
        } catch (ElfFormatException e) {
            Readers.refuse(e);
        } catch (Refused r) {
            Readers.refuse(r.cause);
        }
    }

    /** Every DIE of every unit, every attribute read as each class: the whole reader, for {@link Readers}. */
    static void walkAll(Dwarf dwarf) throws ElfFormatException {
        for (Dwarf.Unit u : dwarf.units()) {
            walk(dwarf, u);
        }
    }

    private static final List<Integer> ATTRS = List.of(0x01, 0x02, 0x03, 0x0b, 0x1c, 0x25, 0x2f, 0x38, 0x49, 0x72, 0x73);

    static void walk(Dwarf dwarf, Dwarf.Unit u) throws ElfFormatException {
        {
            List<Integer> attrs = ATTRS;
            dwarf.describe(u);
            Dwarf.Walker walker = dwarf.walk(u);
            for (var d = walker.next(); d != null; d = walker.next()) {
                for (int a : attrs) {
                    d.string(a);
                    d.constant(a);
                    d.address(a);
                    d.block(a).map(ByteBuffer::limit);
                    d.staticAddress(a);
                    d.reference(a).ifPresent(ref -> {
                        try {
                            dwarf.dieAt(ref);
                        } catch (ElfFormatException e) {
                            throw new Refused(e);
                        }
                    });
                }
                d.memberOffset();
            }
        }
    }

    /** Carries an ElfFormatException out of a lambda. */
    static final class Refused extends RuntimeException {
        final ElfFormatException cause;

        Refused(ElfFormatException cause) {
            super(cause);
            this.cause = cause;
        }
    }
}
