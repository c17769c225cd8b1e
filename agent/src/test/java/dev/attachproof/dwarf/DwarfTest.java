package dev.attachproof.dwarf;

import dev.attachproof.elf.ElfFile;
import dev.attachproof.testing.GoFixture;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The DWARF reader against Go's own debug/dwarf (the dwarflayout fixture) on binaries from
 * Debian's Go 1.19 (DWARF 4), 1.22 and the go on PATH (DWARF 5 from 1.25): the same struct
 * sizes, member offsets and sizes, variable addresses, constants and producer. Stripped
 * binaries have no DWARF, and the reader says so.
 */
class DwarfTest {
    static final List<String> STRUCTS = List.of("runtime.g", "runtime.m", "runtime.gobuf", "runtime.stack",
            "runtime.moduledata", "runtime._func", "runtime.pcHeader");
    static final List<String> VARIABLES = List.of("runtime.allgs", "runtime.allglen", "runtime.allm",
            "runtime.waitReasonStrings", "runtime.buildVersion", "runtime.firstmoduledata");
    static final List<String> CONSTANT_PREFIXES = List.of("runtime._G", "runtime.waitReason");

    @ParameterizedTest(name = "{0} stripped={1}")
    @MethodSource("dev.attachproof.testing.GoFixture#toolchainMatrix")
    void agreesWithGoDebugDwarf(String toolchain, boolean stripped) throws Exception {
        Path binary = GoFixture.build("target", toolchain, stripped);
        if (stripped) {
            assertFalse(Dwarf.of(ElfFile.open(binary)).isPresent(), "-ldflags=-s -w leaves no DWARF");
            return;
        }
        compareWithDebugDwarf(binary);
    }

    /** PIE, cgo linked by the system linker (which keeps the sections compressed or not as Go left them), arm64. */
    @ParameterizedTest(name = "{0} {1}")
    @org.junit.jupiter.params.provider.CsvSource({"go1.22.0, pie", "default, pie", "go1.22.0, external", "default, external",
        "go1.22.0, arm64", "default, arm64", "go1.22.0, uncompressed", "default, uncompressed", "go1.22.0, zdebug", "default, zdebug"})
    void readsPieCgoAndArm64Builds(String toolchain, String variant) throws Exception {
        String go = toolchain.equals("default") ? null : toolchain;
        Path binary = switch (variant) {
            case "pie" -> GoFixture.build("target", go, List.of("-buildmode=pie"), Map.of("CGO_ENABLED", "1"));
            case "external" -> GoFixture.build("target", go, List.of("-ldflags=-linkmode=external"), Map.of("CGO_ENABLED", "1"));
            case "arm64" -> GoFixture.build("target", go, List.of(), Map.of("GOARCH", "arm64"));
            case "uncompressed" -> GoFixture.build("target", go, List.of("-ldflags=-compressdwarf=false"));
            default -> gnuCompressed(GoFixture.build("target", go, List.of("-ldflags=-compressdwarf=false")));
        };
        ElfFile elf = ElfFile.open(binary);
        String info = variant.equals("zdebug") ? ".zdebug_info" : ".debug_info";
        ElfFile.Section section = elf.section(info).orElseThrow(() -> new AssertionError("no " + info));
        assertEquals(variant.equals("uncompressed") || variant.equals("zdebug") ? 0 : 0x800, section.flags() & 0x800,
                info + " compressed as Go or objcopy left it");
        compareWithDebugDwarf(binary);
    }

    /** The binary with its debug sections recompressed the old GNU way (.zdebug_*), by binutils' objcopy. */
    private static Path gnuCompressed(Path plain) throws Exception {
        Path out = plain.resolveSibling("target-zdebug");
        Process p = new ProcessBuilder("objcopy", "--compress-debug-sections=zlib-gnu", plain.toString(), out.toString())
                .redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        org.junit.jupiter.api.Assumptions.assumeTrue(p.waitFor() == 0 || !log.contains("not found"), "objcopy: " + log);
        assertEquals(0, p.exitValue(), log);
        return out;
    }

    private static void compareWithDebugDwarf(Path binary) throws Exception {
        ElfFile elf = ElfFile.open(binary);
        Dwarf dwarf = Dwarf.of(elf).orElseThrow();
        DwarfScan.Result got = DwarfScan.scan(dwarf, "runtime", Set.copyOf(STRUCTS), Set.copyOf(VARIABLES), CONSTANT_PREFIXES);

        List<String> oracle = oracle(binary);
        List<String> mine = new ArrayList<>();
        mine.add("producer " + got.producer());
        for (String s : STRUCTS) {
            StructType t = got.structs().get(s);
            if (t == null) {
                continue;
            }
            mine.add("struct " + s + " " + t.size());
            for (StructType.Member m : t.members()) {
                mine.add("field " + s + " " + m.name() + " " + m.offset() + " " + m.size());
            }
        }
        got.variables().forEach((k, v) -> mine.add("var " + k + " 0x" + Long.toHexString(v)));
        got.constants().forEach((k, v) -> mine.add("const " + k + " " + v));

        assertEquals(normalize(oracle), normalize(mine));
        assertTrue(got.structs().keySet().containsAll(List.of("runtime.g", "runtime.m", "runtime.gobuf")), "found " + got.structs().keySet());
        assertTrue(got.variables().containsKey("runtime.allgs"), "found " + got.variables().keySet());
        assertTrue(got.constants().containsKey("runtime._Gwaiting"));
    }

    /** Sorted, the type names dropped (debug/dwarf spells them its own way), the producer once. */
    private static List<String> normalize(List<String> lines) {
        Map<String, String> m = new TreeMap<>();
        for (String l : lines) {
            String[] f = l.split(" ");
            String key = f[0].equals("field") ? String.join(" ", f[0], f[1], f[2], f[3], f[4]) : l;
            m.putIfAbsent(f[0].equals("producer") ? "producer" : key, key);
        }
        return new ArrayList<>(m.values());
    }

    private static List<String> oracle(Path binary) throws Exception {
        Path tool = GoFixture.build("dwarflayout");
        List<String> cmd = new ArrayList<>(List.of(tool.toString(), binary.toString()));
        cmd.addAll(STRUCTS);
        VARIABLES.forEach(v -> cmd.add("var:" + v));
        CONSTANT_PREFIXES.forEach(c -> cmd.add("const:" + c));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        return List.of(out.split("\n"));
    }
}
