package dev.attachproof.pclntab;

import dev.attachproof.elf.ElfFile;
import dev.attachproof.testing.GoFixture;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * PC lookups against `go tool addr2line` (Go's own reader of the same table) on binaries from
 * Debian's Go 1.19 (format 0xfffffff0), 1.22 and the go on PATH (0xfffffff1; 1.26 writes
 * textStart 0), with and without -ldflags=-s -w: function, file and line for 400 PCs each.
 */
class PclntabTest {

    @ParameterizedTest(name = "{0} stripped={1}")
    @MethodSource("dev.attachproof.testing.GoFixture#toolchainMatrix")
    void agreesWithGoToolAddr2line(String toolchain, boolean stripped) throws Exception {
        compareWithAddr2line(GoFixture.build("target", toolchain, stripped));
    }

    /**
     * Real binaries of releases no toolchain here builds, stripped (esbuild's npm releases):
     * format 0xfffffffa from Go 1.16 and 1.17, 0xfffffff0 from 1.18, 0xfffffff1 from 1.20.
     */
    @ParameterizedTest(name = "esbuild {0} ({1})")
    @MethodSource("dev.attachproof.testing.OldGoBinaries#esbuilds")
    void readsReleasesNoToolchainHereBuilds(String esbuild, String go) throws Exception {
        Pclntab tab = compareWithAddr2line(dev.attachproof.testing.OldGoBinaries.esbuild(esbuild));
        assertEquals(go.startsWith("go1.16") || go.startsWith("go1.17") ? "go1.16" : go.startsWith("go1.18") ? "go1.18" : "go1.20",
                tab.format());
        if (!tab.format().equals("go1.16")) {
            // The compiler gives these functions their funcID by name (cmd/internal/objabi), so
            // they check the numbering taken for 1.18 (as 1.19's) and 1.20 (as 1.21's).
            for (String kind : List.of("goexit", "mstart", "asyncPreempt", "gopanic", "systemstack", "morestack", "mcall")) {
                java.util.OptionalInt fn = tab.function("runtime." + kind);
                assertTrue(fn.isPresent(), "runtime." + kind);
                assertEquals(kind, tab.funcInfo(tab.entry(fn.getAsInt())).orElseThrow().kind(), "funcID of runtime." + kind);
            }
        }
    }

    /** The variants a build can take: PIE (internal linking), cgo with the system linker, arm64. */
    @ParameterizedTest(name = "{0} {1}")
    @org.junit.jupiter.params.provider.CsvSource({
        "debian-go1.19, pie", "go1.22.0, pie", "default, pie",
        "debian-go1.19, external", "go1.22.0, external", "default, external",
        "go1.22.0, arm64", "default, arm64", "default, arm64-stripped"})
    void readsPieCgoAndArm64Builds(String toolchain, String variant) throws Exception {
        assumeTrue(GoFixture.available(toolchain), toolchain + " is not installed");
        String go = toolchain.equals("default") ? null : toolchain;
        Path binary = switch (variant) {
            case "pie" -> GoFixture.build("target", go, List.of("-buildmode=pie"), java.util.Map.of("CGO_ENABLED", "1"));
            case "external" -> GoFixture.build("target", go, List.of("-ldflags=-linkmode=external"), java.util.Map.of("CGO_ENABLED", "1"));
            case "arm64" -> GoFixture.build("target", go, List.of(), java.util.Map.of("GOARCH", "arm64"));
            default -> GoFixture.build("target", go, List.of("-ldflags=-s -w"), java.util.Map.of("GOARCH", "arm64"));
        };
        compareWithAddr2line(binary);
    }

    /** 400 PCs (entries and random ones inside functions) against `go tool addr2line`. */
    static Pclntab compareWithAddr2line(Path binary) throws Exception {
        Pclntab tab = Pclntab.of(ElfFile.open(binary));
        assertTrue(tab.functionCount() > 1000, "functions: " + tab.functionCount());

        Random r = new Random(7);
        List<Long> pcs = new ArrayList<>();
        for (int k = 0; k < 200; k++) {
            int i = r.nextInt(tab.functionCount() - 1);
            long entry = tab.entry(i);
            long size = tab.entry(i + 1) - entry;
            pcs.add(entry);
            pcs.add(entry + (size > 1 ? r.nextLong(size) : 0));
        }
        List<String[]> expected = addr2line(binary, pcs);
        int checked = 0;
        for (int k = 0; k < pcs.size(); k++) {
            String[] want = expected.get(k);
            if (want[0].equals("?")) {
                continue;   // padding between functions: addr2line knows nothing either
            }
            Pclntab.SourceLine got = tab.lookup(pcs.get(k)).orElseThrow(() -> new AssertionError("no function"));
            String where = String.format("pc 0x%x", pcs.get(k));
            assertEquals(want[0], got.function(), where);
            assertEquals(want[1], got.file() + ":" + got.line(), where);
            checked++;
        }
        assertTrue(checked > 350, "compared " + checked + " PCs");
        return tab;
    }

    /** function and file:line for each PC, as `go tool addr2line` prints them. */
    static List<String[]> addr2line(Path binary, List<Long> pcs) throws Exception {
        Process p = new ProcessBuilder("go", "tool", "addr2line", binary.toString()).start();
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        StringBuilder in = new StringBuilder();
        for (long pc : pcs) {
            in.append(String.format("0x%x%n", pc));
        }
        p.getOutputStream().write(in.toString().getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        String[] lines = out.get().split("\n");
        List<String[]> result = new ArrayList<>();
        for (int i = 0; i + 1 < lines.length; i += 2) {
            result.add(new String[] {lines[i], lines[i + 1]});
        }
        assertEquals(pcs.size(), result.size(), "addr2line answered every PC");
        return result;
    }
}
