package dev.attachproof.pclntab;

import dev.attachproof.dwarf.StructType;

import java.util.Optional;
import java.util.stream.IntStream;

/**
 * Which 8-byte words of {@code runtime.moduledata} (runtime/symtab.go) hold the fields read here:
 * the first four find the module's moduledata in the file (they point at the pcHeader and into
 * its tables), {@code text} is the base of the table's entry offsets, {@code gofunc} that of its
 * funcdata offsets. Taken from the binary's DWARF when it describes moduledata ({@link
 * #fromDwarf}); otherwise from the table below, chosen by the pclntab's own format ({@link
 * #forFormat}). LayoutDriftTest holds the table to the DWARF of a build by every toolchain.
 *
 * @param pcHeader    the *pcHeader, moduledata's first word
 * @param funcnametab the data pointer of the funcnametab slice
 * @param cutab       the data pointer of the cutab slice
 * @param filetab     the data pointer of the filetab slice
 * @param text        runtime.text, the start of the module's code
 * @param gofunc      the start of go:func.*; -1 where the format has none (funcdata are pointers)
 * @param source      where the positions come from: "DWARF" or "format 0xfffffff1"
 */
public record ModuledataWords(int pcHeader, int funcnametab, int cutab, int filetab, int text, int gofunc,
                              String source) {
    private static final int WORD = 8;

    /**
     * The positions each pclntab format's releases share, checked on the DWARF of every toolchain
     * the tests build (Go 1.19, 1.21 to 1.26). All start pcHeader, then six slices (funcnametab,
     * cutab, filetab, pctab, pclntable, ftab), findfunctab, minpc, maxpc, text. 0xfffffff0 (1.18,
     * 1.19): 16 uintptrs after text, gofunc the last; 0xfffffff1 (1.20 to 1.26) adds covctrs and
     * ecovctrs before end, moving gofunc two words on. 0xfffffffa (1.16, 1.17), which no
     * toolchain here builds, has no gofunc, and of its positions only pcHeader and funcnametab
     * are used (to find a stripped binary's table: its entries are absolute, its funcdata
     * pointers); they are taken to be the later formats' (moduledata begins pcHeader, funcnametab
     * since 1.16 made the pcHeader), not checked on a binary.
     */
    public static ModuledataWords forFormat(int magic) {
        int gofunc = switch (magic) {
            case Pclntab.GO_1_20 -> 40;
            case Pclntab.GO_1_18 -> 38;
            default -> -1;
        };
        return new ModuledataWords(0, 1, 4, 7, 22, gofunc, String.format("format 0x%08x", magic));
    }

    /**
     * The positions a binary's DWARF gives for its {@code runtime.moduledata}; empty when a field
     * read here is missing or not word-aligned (the format's table then serves). A release
     * without gofunc gets -1 for it.
     */
    public static Optional<ModuledataWords> fromDwarf(StructType moduledata) {
        int[] w = new int[6];
        String[] names = {"pcHeader", "funcnametab", "cutab", "filetab", "text", "gofunc"};
        for (int i = 0; i < names.length; i++) {
            Optional<StructType.Member> m = moduledata.member(names[i]);
            if (m.isEmpty() || m.get().offset() < 0 || m.get().offset() % WORD != 0) {
                if (i < names.length - 1 || m.isPresent()) {
                    return Optional.empty();
                }
                w[i] = -1;   // no gofunc: Go 1.16, 1.17
                continue;
            }
            w[i] = (int) (m.get().offset() / WORD);
        }
        return Optional.of(new ModuledataWords(w[0], w[1], w[2], w[3], w[4], w[5], "DWARF"));
    }

    /** How many of moduledata's first words hold every field here. */
    int span() {
        return IntStream.of(pcHeader, funcnametab, cutab, filetab, text, gofunc).max().orElseThrow() + 1;
    }

    /** The same positions, whatever their source says (to compare two sources). */
    public ModuledataWords positions() {
        return new ModuledataWords(pcHeader, funcnametab, cutab, filetab, text, gofunc, "");
    }
}
