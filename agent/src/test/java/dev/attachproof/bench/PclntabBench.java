package dev.attachproof.bench;

import dev.attachproof.dwarf.Dwarf;
import dev.attachproof.elf.ElfFile;
import dev.attachproof.buildinfo.GoBuildInfo;
import dev.attachproof.golang.RuntimeLayouts;
import dev.attachproof.pclntab.Pclntab;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

/**
 * For agent/bench/pclntab-bench.sh: on each binary, the time from a cold open to build info and
 * pclntab ready (first run in a fresh JVM, then warm medians), and the time for 100,000 random PC
 * lookups (median of rounds); and the time to the runtime layout from the binary's DWARF.
 */
public final class PclntabBench {
    private PclntabBench() {}

    public static void main(String[] args) throws Exception {
        for (String arg : args) {
            Path p = Path.of(arg);
            long[] ready = new long[11];
            Pclntab tab = null;
            for (int i = 0; i < ready.length; i++) {
                long t0 = System.nanoTime();
                ElfFile elf = ElfFile.open(p);
                GoBuildInfo.read(elf).orElseThrow();
                tab = Pclntab.of(elf);
                tab.lookup(tab.entry(0));
                ready[i] = System.nanoTime() - t0;
            }
            long first = ready[0];
            long[] warm = Arrays.copyOfRange(ready, 1, ready.length);
            Arrays.sort(warm);
            Random r = new Random(1);
            long lo = tab.entry(0);
            long hi = tab.entry(tab.functionCount() - 1);
            long[] rounds = new long[7];
            int found = 0;
            for (int k = 0; k < rounds.length; k++) {
                long t0 = System.nanoTime();
                for (int i = 0; i < 100_000; i++) {
                    if (tab.lookup(lo + r.nextLong(hi - lo)).isPresent()) {
                        found++;
                    }
                }
                rounds[k] = System.nanoTime() - t0;
            }
            Arrays.sort(rounds);
            // The reference: Go's own reader (debug/gosym behind `go tool addr2line`), the same
            // 100,000 PCs, whole process, once.
            Random rr = new Random(1);
            StringBuilder in = new StringBuilder();
            for (int i = 0; i < 100_000; i++) {
                in.append("0x").append(Long.toHexString(lo + rr.nextLong(hi - lo))).append('\n');
            }
            Process a2l = new ProcessBuilder("go", "tool", "addr2line", p.toString())
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectErrorStream(true).start();
            long a0 = System.nanoTime();
            try (var os = a2l.getOutputStream()) {
                os.write(in.toString().getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            }
            a2l.waitFor();
            long addr2line = System.nanoTime() - a0;
            long[] layout = new long[5];
            String layoutFrom = "no DWARF";
            for (int i = 0; i < layout.length; i++) {
                long t0 = System.nanoTime();
                ElfFile elf = ElfFile.open(p);
                var l = RuntimeLayouts.fromDwarf(elf);
                layout[i] = System.nanoTime() - t0;
                layoutFrom = l.isPresent() ? "DWARF " + Dwarf.version(elf) : "no DWARF";
            }
            long layoutFirst = layout[0];
            Arrays.sort(layout);
            System.out.printf("%s: runtime layout from %s: first %.1f ms, median %.1f ms%n", p, layoutFrom,
                    layoutFirst / 1e6, layout[layout.length / 2] / 1e6);
            System.out.printf("%s (%.1f MB, %d functions): ready first %.1f ms, warm median %.2f ms; "
                            + "100,000 lookups median %.1f ms (min %.1f, max %.1f); %d found%n",
                    p, Files.size(p) / 1e6, tab.functionCount(), first / 1e6, warm[warm.length / 2] / 1e6,
                    rounds[rounds.length / 2] / 1e6, rounds[0] / 1e6, rounds[rounds.length - 1] / 1e6, found);
            System.out.printf("%s: go tool addr2line, the same 100,000 PCs: %.1f ms whole process (ratio addr2line/attachproof lookups %.1f)%n",
                    p, addr2line / 1e6, (double) addr2line / rounds[rounds.length / 2]);
        }
    }
}
