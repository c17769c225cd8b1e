package dev.attachproof.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.attachproof.elf.ElfFile;
import dev.attachproof.elf.ElfFormatException;
import dev.attachproof.pclntab.Pclntab;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.stream.Stream;

/**
 * The pclntab reader on hostile tables: only {@link ElfFormatException}, with a one-line
 * reason, may come out of {@link Pclntab#of}, {@link Pclntab#lookup}, {@link Pclntab#frames},
 * {@link Pclntab#funcInfo} and {@link Pclntab#spDelta}; none may hang or allocate without bound.
 */
@Tag(Readers.FUZZ)
class PclntabFuzzTest {

    /** The fixture the windows and seeds come from, built before any input runs; without a go, the class is skipped. */
    @BeforeAll
    static void fixture() {
        GoSeeds.fixture("default", true);
    }

    /** Each installed toolchain's .gopclntab cut down to six real functions (GoSeeds#cutPclntab). */
    static Stream<Arguments> cutTables() {
        return GoSeeds.toolchains().map(t -> Arguments.of(Named.of("cut .gopclntab of " + t,
                GoSeeds.cutPclntab(Real.pclntab(GoSeeds.fixture(t, true)), 6))));
    }

    /**
     * The table's bytes alone, as the .gopclntab of a small ELF whose .text starts where the
     * fixtures' does (Go 1.26 writes textStart 0 and the reader falls back to .text).
     */
    @MethodSource("cutTables")
    @FuzzTest(maxDuration = Readers.SHORT)
    void pclntabSection(byte[] table) {
        ElfWriter w = new ElfWriter();
        w.addNoBits(".text", ElfWriter.SHF_ALLOC | ElfWriter.SHF_EXECINSTR, GoSeeds.TEXT_ADDRESS, 0x100000);
        w.add(".gopclntab", ElfWriter.SHT_PROGBITS, ElfWriter.SHF_ALLOC, 0x500000, table);
        try {
            Readers.lookups(Pclntab.of(ElfFile.of(w.build())), new long[0]);
        } catch (ElfFormatException e) {
            Readers.refuse(e);
        }
    }

    /** The stripped fixture of the go on PATH and the layout of its .gopclntab, for aiming windows. */
    private static final class Real {
        static final byte[] IMAGE = GoSeeds.fixture("default", true);
        static final int OFF;
        static final int SIZE;
        static final int NFUNC;
        static final int FUNCSIZE;
        static final int PCTAB;
        static final int PCLN;
        static final int FUNCNAMES;
        static final int CUTAB;

        static {
            try {
                ElfFile elf = ElfFile.of(IMAGE);
                ElfFile.Section s = elf.section(".gopclntab").orElseThrow();
                OFF = (int) s.offset();
                SIZE = (int) s.size();
                ByteBuffer t = elf.contents(s);
                NFUNC = (int) t.getLong(8);
                FUNCSIZE = t.getInt(0) == Pclntab.GO_1_20 ? 44 : 40;
                FUNCNAMES = (int) t.getLong(32);
                CUTAB = (int) t.getLong(40);
                PCTAB = (int) t.getLong(56);
                PCLN = (int) t.getLong(64);
            } catch (ElfFormatException e) {
                throw new IllegalStateException(e);
            }
        }

        static int get(int tableOffset) {
            return ByteBuffer.wrap(IMAGE).order(ByteOrder.LITTLE_ENDIAN).getInt(OFF + tableOffset);
        }

        /** Offset in the table of function i's _func. */
        static int func(int i) {
            return PCLN + get(PCLN + i * 8 + 4);
        }

        static byte[] pclntab(byte[] image) {
            try {
                ElfFile elf = ElfFile.of(image);
                return GoSeeds.bytes(elf, elf.section(".gopclntab").orElseThrow());
            } catch (ElfFormatException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /**
     * A real binary with up to three windows overwritten in its .gopclntab, aimed at one
     * function: the pcHeader, its functab entries, its _func and pcdata/funcdata offsets, its SP,
     * file and line tables, its name, its CU's file entries, or anywhere. Then everything
     * Pclntab answers at that function's PCs and at fuzzer PCs.
     */
    @Tag(Readers.SHORT_RUN)
    @FuzzTest(maxDuration = Readers.SHORT)
    void pclntabWindow(FuzzedDataProvider data) {
        byte[] image = Real.IMAGE;
        int i = data.consumeInt(0, Real.NFUNC - 1);
        int f = Real.func(i);
        long base = Real.OFF;
        try (Window w = new Window(image)) {
            int patches = data.consumeInt(1, 3);
            for (int p = 0; p < patches; p++) {
                switch (data.consumeInt(0, 7)) {
                    case 0 -> w.patch(data, base, base + 72);
                    case 1 -> w.patch(data, base + Real.PCLN + i * 8L, base + Real.PCLN + i * 8L + 16);
                    // _func and the pcdata/funcdata offsets after it (inline tree index and tree)
                    case 2, 3 -> w.patch(data, base + f, base + f + Real.FUNCSIZE + 32);
                    case 4 -> {
                        int table = Real.get(f + data.pickValue(new int[] {16, 20, 24}));   // pcsp, pcfile, pcln
                        long at = base + Real.PCTAB + Integer.toUnsignedLong(table);
                        w.patch(data, at, Math.min(at + 64, base + Real.SIZE));
                    }
                    case 5 -> {
                        long at = base + Real.FUNCNAMES + Real.get(f + 4);
                        w.patch(data, at, Math.min(at + 32, base + Real.SIZE));
                    }
                    case 6 -> {
                        long at = base + Real.CUTAB + 4L * Real.get(f + 32);
                        w.patch(data, at, Math.min(at + 64, base + Real.SIZE));
                    }
                    default -> w.patch(data, base, base + Real.SIZE);
                }
            }
            long[] pcs = new long[data.consumeInt(0, 4)];
            for (int k = 0; k < pcs.length; k++) {
                pcs[k] = data.consumeBoolean() ? data.consumeLong() : GoSeeds.TEXT_ADDRESS + data.consumeInt(0, 0xc0000);
            }
            Pclntab tab = Pclntab.of(ElfFile.of(image));
            if (i < tab.functionCount()) {
                long entry = tab.entry(i);
                Readers.at(tab, entry);
                Readers.at(tab, entry + 1);
                Readers.at(tab, entry + 0x40);
            }
            for (long pc : pcs) {
                Readers.at(tab, pc);
            }
        } catch (ElfFormatException e) {
            Readers.refuse(e);
        }
    }
}
