package dev.attachproof.buildinfo;

import dev.attachproof.elf.ElfFile;

import dev.attachproof.testing.GoFixture;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The build-info reader against {@code go version -m}, Go's own reader, on binaries built by real
 * toolchains: Debian's 1.19, 1.22 through GOTOOLCHAIN, and the go on PATH; with and without
 * -ldflags=-s -w (build info survives stripping; DWARF and the symbol table do not).
 */
class GoBuildInfoTest {

    @ParameterizedTest(name = "{0} stripped={1}")
    @MethodSource("dev.attachproof.testing.GoFixture#toolchainMatrix")
    void readsWhatGoVersionDashMPrints(String toolchain, boolean stripped) throws Exception {
        Path binary = GoFixture.build("target", toolchain, stripped);
        ElfFile elf = ElfFile.open(binary);
        GoBuildInfo info = GoBuildInfo.read(elf).orElseThrow();
        GoVersionM expected = goVersionM(binary);

        assertEquals(expected.goVersion, info.goVersion());
        assertEquals(expected.path, info.path());
        assertEquals(expected.mod, info.mainModule());
        assertEquals(expected.settings, info.settings());
        assertEquals(!stripped, elf.hasDwarf(), "DWARF present unless -w");
        assertEquals(!stripped, elf.section(".symtab").isPresent(), "symbol table present unless -s");
        if (stripped) {
            assertTrue(info.settings().get("-ldflags").contains("-s -w"), info.settings().toString());
            assertTrue(elf.symbols(List.of("runtime.buildVersion")).isEmpty());
        } else {
            assertFalse(elf.symbols(List.of("runtime.buildVersion", "runtime.allglen")).isEmpty());
        }
        assertEquals("amd64", elf.arch());
        assertEquals(goToolBuildid(binary), elf.goBuildId().orElseThrow(), "the Go build id note");
    }

    /**
     * Releases no toolchain here builds: pre-1.18 build info (pointers to string headers) in
     * real Go 1.16 and 1.17 binaries, and the inline form of 1.18 and 1.20.
     */
    @ParameterizedTest(name = "esbuild {0} ({1})")
    @MethodSource("dev.attachproof.testing.OldGoBinaries#esbuilds")
    void readsReleasesNoToolchainHereBuilds(String esbuild, String go) throws Exception {
        Path binary = dev.attachproof.testing.OldGoBinaries.esbuild(esbuild);
        ElfFile elf = ElfFile.open(binary);
        GoBuildInfo info = GoBuildInfo.read(elf).orElseThrow();
        GoVersionM expected = goVersionM(binary);
        assertEquals(go, info.goVersion());
        assertEquals(expected.goVersion, info.goVersion());
        assertEquals(expected.path, info.path());
        assertEquals(expected.mod, info.mainModule());
        assertFalse(info.deps().isEmpty(), "esbuild depends on golang.org/x/sys");
        assertTrue(info.deps().getFirst().startsWith("golang.org/x/sys v0.0.0-"), info.deps().toString());
        assertEquals(goToolBuildid(binary), elf.goBuildId().orElseThrow());
    }

    /** {@code go tool buildid FILE}: Go's own reader of the build id note. */
    static String goToolBuildid(Path binary) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("go", "tool", "buildid", binary.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertEquals(0, p.waitFor(), out);
        return out;
    }

    @ParameterizedTest(name = "{0} arm64")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"go1.22.0", "go1.26.0"})
    void readsArm64CrossBuilds(String toolchain) throws Exception {
        Path binary = GoFixture.build("target", toolchain, List.of(), Map.of("GOARCH", "arm64"));
        ElfFile elf = ElfFile.open(binary);
        assertEquals("arm64", elf.arch());
        GoBuildInfo info = GoBuildInfo.read(elf).orElseThrow();
        GoVersionM expected = goVersionM(binary);
        assertEquals(expected.goVersion, info.goVersion());
        assertEquals(expected.settings, info.settings());
        assertEquals("arm64", info.settings().get("GOARCH"));
        assertEquals(goToolBuildid(binary), elf.goBuildId().orElseThrow());
    }

    /** The parts of `go version -m` output we compare. */
    record GoVersionM(String goVersion, String path, String mod, Map<String, String> settings) {}

    static GoVersionM goVersionM(Path binary) throws IOException, InterruptedException {
        // Read with the go on PATH: any Go reads every older binary's build info.
        Process p = new ProcessBuilder("go", "version", "-m", binary.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        String[] lines = out.split("\n");
        String version = lines[0].substring(lines[0].lastIndexOf(' ') + 1).strip();
        String path = "";
        String mod = "";
        Map<String, String> settings = new LinkedHashMap<>();
        for (String line : lines) {
            String[] f = line.strip().split("\t");
            switch (f[0]) {
                case "path" -> path = f[1];
                case "mod" -> mod = f[1] + " " + f[2];
                case "build" -> {
                    int eq = f[1].indexOf('=');
                    String v = f[1].substring(eq + 1);
                    settings.put(f[1].substring(0, eq), v.startsWith("\"") ? v.substring(1, v.length() - 1) : v);
                }
                default -> { }
            }
        }
        return new GoVersionM(version, path, mod, settings);
    }
}
