package dev.attachproof.pclntab;

import dev.attachproof.elf.ElfFile;
import dev.attachproof.testing.GoFixture;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link Pclntab#spDelta(long)} against .debug_frame, which Go's linker writes from the same
 * functions' SP deltas (cmd/link dwarf.go writeframes) but in DWARF's encoding: one CIE (CFA =
 * SP + 8 on amd64, the return address) and per function an FDE of DW_CFA_def_cfa_offset_sf /
 * advance_loc rows. Parsed here, minimally; on the unstripped binaries of each toolchain, at the
 * first, middle and last byte of every row of every function.
 */
class SpDeltaTest {

    static Stream<Arguments> unstripped() {
        return GoRun.everyRelease().filter(a -> !(Boolean) a.get()[1]);
    }

    @ParameterizedTest(name = "{0} stripped={1}")
    @MethodSource("unstripped")
    void agreesWithDebugFrame(String toolchain, boolean stripped) throws Exception {
        Path binary = GoFixture.build("inlined", toolchain, stripped);
        ElfFile elf = ElfFile.open(binary);
        assumeTrue(elf.arch().equals("amd64"), "CFA = SP + delta + 8 is amd64's rule");
        Pclntab tab = Pclntab.of(elf);
        ByteBuffer frame = elf.debugSection(".debug_frame").orElseThrow();

        int pcs = 0;
        int fdes = 0;
        for (Row row : rows(frame)) {
            for (long pc : new long[] {row.start, row.start + (row.end - row.start) / 2, row.end - 1}) {
                assertEquals(row.cfaOffset - 8, tab.spDelta(pc), String.format("%s pc 0x%x",
                        tab.lookup(pc).map(Pclntab.SourceLine::function).orElse("?"), pc));
                pcs++;
            }
            fdes += row.first ? 1 : 0;
        }
        assertEquals(-1, tab.spDelta(tab.entry(0) - 1), "before the first function");
        assertTrue(fdes > 1000, "functions compared: " + fdes);
        assertTrue(pcs > 20_000, "PCs compared: " + pcs);
    }

    /** One CFA rule over [start, end); {@code first} for a function's first row. */
    record Row(long start, long end, long cfaOffset, boolean first) {}

    /** Every row of every FDE; 32-bit DWARF, 8-byte addresses, as Go writes it on 64-bit ELF. */
    static List<Row> rows(ByteBuffer b) {
        List<Row> rows = new ArrayList<>();
        long codeAlign = 1;
        long dataAlign = 1;
        long initialCfa = -1;
        int p = 0;
        while (p < b.limit()) {
            int length = b.getInt(p);
            assertTrue(length > 0 && length != -1, "64-bit DWARF or empty entry at " + p);
            int end = p + 4 + length;
            int id = b.getInt(p + 4);
            int[] q = {p + 8};
            if (id == -1) {   // CIE
                assertEquals(3, b.get(q[0]++), "CIE version");
                assertEquals(0, b.get(q[0]++), "CIE augmentation \"\"");
                codeAlign = uleb(b, q);
                dataAlign = sleb(b, q);
                uleb(b, q);   // return address register
                long[] cfa = {-1};
                run(b, q, end, codeAlign, dataAlign, cfa, 0, null);
                initialCfa = cfa[0];
            } else {
                assertTrue(initialCfa >= 0, "FDE before its CIE");
                long start = b.getLong(q[0]);
                long range = b.getLong(q[0] + 8);
                q[0] += 16;
                long[] cfa = {initialCfa};
                List<Row> fde = new ArrayList<>();
                long loc = run(b, q, end, codeAlign, dataAlign, cfa, start, fde);
                if (loc < start + range) {
                    fde.add(new Row(loc, start + range, cfa[0], false));
                }
                for (int k = 0; k < fde.size(); k++) {
                    Row r = fde.get(k);
                    rows.add(new Row(r.start, r.end, r.cfaOffset, k == 0));
                }
            }
            p = end;
        }
        return rows;
    }

    /** Runs call-frame instructions up to {@code end}; adds a row at each advance. Returns the location reached. */
    private static long run(ByteBuffer b, int[] q, int end, long codeAlign, long dataAlign, long[] cfa, long loc, List<Row> rows) {
        while (q[0] < end) {
            int op = b.get(q[0]++) & 0xff;
            long advance = -1;
            switch (op >> 6) {
                case 1 -> advance = (op & 0x3f) * codeAlign;                  // DW_CFA_advance_loc
                case 2 -> uleb(b, q);                                          // DW_CFA_offset
                case 3 -> { }                                                  // DW_CFA_restore
                default -> {
                    switch (op) {
                        case 0x00 -> { }                                       // DW_CFA_nop (padding)
                        case 0x02 -> advance = (b.get(q[0]++) & 0xff) * codeAlign;
                        case 0x03 -> { advance = (b.getShort(q[0]) & 0xffff) * codeAlign; q[0] += 2; }
                        case 0x04 -> { advance = Integer.toUnsignedLong(b.getInt(q[0])) * codeAlign; q[0] += 4; }
                        case 0x05, 0x14 -> { uleb(b, q); uleb(b, q); }        // offset_extended, val_offset
                        case 0x07, 0x08 -> uleb(b, q);                         // undefined, same_value
                        case 0x0c -> { uleb(b, q); cfa[0] = uleb(b, q); }      // def_cfa reg, offset
                        case 0x0e -> cfa[0] = uleb(b, q);                      // def_cfa_offset
                        case 0x11 -> { uleb(b, q); sleb(b, q); }               // offset_extended_sf
                        case 0x13 -> cfa[0] = sleb(b, q) * dataAlign;          // def_cfa_offset_sf
                        default -> throw new AssertionError(String.format("CFA instruction 0x%02x", op));
                    }
                }
            }
            if (advance > 0) {
                rows.add(new Row(loc, loc + advance, cfa[0], false));
                loc += advance;
            }
        }
        return loc;
    }

    private static long uleb(ByteBuffer b, int[] q) {
        long v = 0;
        for (int shift = 0; ; shift += 7) {
            int x = b.get(q[0]++);
            v |= (long) (x & 0x7f) << shift;
            if ((x & 0x80) == 0) {
                return v;
            }
        }
    }

    private static long sleb(ByteBuffer b, int[] q) {
        long v = 0;
        int shift = 0;
        int x;
        do {
            x = b.get(q[0]++);
            v |= (long) (x & 0x7f) << shift;
            shift += 7;
        } while ((x & 0x80) != 0);
        return shift < 64 && (x & 0x40) != 0 ? v | -1L << shift : v;
    }
}
