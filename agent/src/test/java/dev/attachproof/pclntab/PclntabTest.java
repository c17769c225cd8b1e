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

    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> externalPie() {
        return dev.attachproof.golang.LayoutGenerator.TOOLCHAINS.stream().flatMap(t -> java.util.stream.Stream.of(
                org.junit.jupiter.params.provider.Arguments.of(t, "amd64"), org.junit.jupiter.params.provider.Arguments.of(t, "arm64")));
    }

    /**
     * Built as distributions build (cgo, PIE, the system linker) on every release, amd64 and
     * arm64: the unstripped build against `go tool addr2line` (which finds the table by its
     * symbols), and the stripped build, whose table Go 1.19 to 1.25 leave inside .data.rel.ro
     * with no section or symbol naming it, against the unstripped one: every function at the same
     * offset from runtime.text, and the same logical frames (inlined calls read through
     * moduledata.gofunc, which the file holds only as a dynamic relocation) at 400 PCs.
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("externalPie")
    void readsExternallyLinkedPieStrippedAndNot(String toolchain, String arch) throws Exception {
        Path plain = GoFixture.build("target", toolchain, false, GoFixture.Link.EXTERNAL_PIE, arch);
        Pclntab tab = arch.equals("amd64") ? compareWithAddr2line(plain) : Pclntab.of(ElfFile.open(plain));
        Pclntab stripped = Pclntab.of(ElfFile.open(GoFixture.build("target", toolchain, true, GoFixture.Link.EXTERNAL_PIE, arch)));
        boolean go126 = toolchain.equals("go1.26.0");
        assertEquals(go126 ? "section .gopclntab" : "symbol runtime.pclntab", tab.foundBy());
        assertEquals(go126 ? "section .gopclntab" : "pcHeader in .data.rel.ro, named by moduledata", stripped.foundBy());
        assertEquals(tab.functionCount(), stripped.functionCount());
        Random r = new Random(11);
        int inlined = 0;
        for (int k = 0; k < 400; k++) {
            int i = r.nextInt(tab.functionCount() - 1);
            long size = tab.entry(i + 1) - tab.entry(i);
            long off = tab.entry(i) - tab.textStart() + (size > 1 ? r.nextLong(size) : 0);
            List<Pclntab.Frame> want = tab.frames(tab.textStart() + off);
            List<Pclntab.Frame> got = stripped.frames(stripped.textStart() + off);
            assertEquals(want.stream().map(f -> f.function() + " " + f.file() + ":" + f.line() + " +" + (f.pc() - tab.textStart())).toList(),
                    got.stream().map(f -> f.function() + " " + f.file() + ":" + f.line() + " +" + (f.pc() - stripped.textStart())).toList(),
                    "frames at runtime.text+" + off);
            inlined += want.size() > 1 ? 1 : 0;
        }
        assertTrue(inlined > 10, "PCs inside inlined calls among the 400: " + inlined);
        // runtime.text, where entry offsets count from, is Go's text, not the C code the system
        // linker puts before it in .text: the symbol's place, found in the stripped build too.
        ElfFile plainElf = ElfFile.open(plain);
        ElfFile strippedElf = ElfFile.open(GoFixture.build("target", toolchain, true, GoFixture.Link.EXTERNAL_PIE, arch));
        long runtimeText = plainElf.symbols(List.of("runtime.text")).get("runtime.text").value();
        long cCode = runtimeText - plainElf.section(".text").orElseThrow().address();
        assertTrue(cCode > 0, "the system linker's C code comes first in .text");
        assertEquals(runtimeText, tab.textStart());
        assertEquals(cCode, stripped.textStart() - strippedElf.section(".text").orElseThrow().address());
        // The stripped build has no DWARF: its moduledata words are its format's, the same as
        // the DWARF of the build that kept it says.
        assertEquals(String.format("format 0x%08x", stripped.magic()), stripped.moduledataWords().source());
        assertEquals("DWARF", tab.moduledataWords().source());
        assertEquals(tab.moduledataWords().positions(), stripped.moduledataWords().positions());
    }

    /**
     * A Go binary whose table cannot be found is not called "not a Go binary": the reader says
     * where it looked. The stripped externally linked PIE with its pcHeader's magic overwritten.
     */
    @org.junit.jupiter.api.Test
    void aTableThatCannotBeFoundIsNamedWithWhereItWasLookedFor() throws Exception {
        Path binary = GoFixture.build("target", "go1.23.0", true, GoFixture.Link.EXTERNAL_PIE, "amd64");
        ElfFile elf = ElfFile.open(binary);
        ElfFile.Section rodata = elf.section(".data.rel.ro").orElseThrow();
        long header = headerAddress(elf);
        assertTrue(header != 0, "the pcHeader, found through moduledata");
        byte[] bytes = java.nio.file.Files.readAllBytes(binary);
        int at = (int) (rodata.offset() + header - rodata.address());
        bytes[at] = 0;   // magic 0xfffffff1 becomes 0xffffff00
        ElfFile damaged = ElfFile.of(bytes);
        dev.attachproof.elf.ElfFormatException e = org.junit.jupiter.api.Assertions.assertThrows(
                dev.attachproof.elf.ElfFormatException.class, () -> Pclntab.of(damaged));
        assertEquals("no pclntab: no .gopclntab section, no runtime.pclntab symbol, and no pcHeader in .data.rel.ro or .rodata "
                + "(a Go binary older than Go 1.16, or not a Go binary)", e.getMessage());
        assertTrue(dev.attachproof.buildinfo.GoBuildInfo.read(damaged).isPresent(), "still a Go binary by its build info");
    }

    /** The pcHeader's address in a stripped binary: the magic in .data.rel.ro that moduledata's first word names. */
    private static long headerAddress(ElfFile elf) throws Exception {
        ElfFile.Section rodata = elf.section(".data.rel.ro").orElseThrow();
        java.nio.ByteBuffer b = elf.contents(rodata);
        long[] moduledataWords = elf.words(elf.section(".noptrdata").orElseThrow());
        for (int at = 0; at + 8 <= b.limit(); at += 8) {
            long address = rodata.address() + at;
            if (b.getInt(at) == Pclntab.GO_1_20 && java.util.Arrays.stream(moduledataWords).anyMatch(w -> w == address)) {
                return address;
            }
        }
        return 0;
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
