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
        ElfFile elf = ElfFile.open(binary);
        if (stripped) {
            assertFalse(Dwarf.of(elf).isPresent(), "-ldflags=-s -w leaves no DWARF");
            return;
        }
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
