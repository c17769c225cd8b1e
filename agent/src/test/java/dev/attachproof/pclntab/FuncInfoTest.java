package dev.attachproof.pclntab;

import dev.attachproof.elf.ElfFile;
import dev.attachproof.testing.GoFixture;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link Pclntab#funcInfo(long)} against the sources of the toolchain that built the binary,
 * parsed here rather than written down: the funcID enum (runtime/symtab.go in 1.19,
 * internal/abi/symtab.go from 1.21) and the compiler's name-to-funcID map
 * (cmd/internal/objabi/funcid.go) give every runtime function's expected funcID and its name;
 * the TEXT directives of runtime/asm_amd64.s give the ASM and TOPFRAME flags and the argument
 * size of each assembly function; and each deferreturn offset must point at a CALL of
 * runtime.deferreturn in the machine code.
 */
class FuncInfoTest {
    private static final Pattern ENUM_START = Pattern.compile("^\\s*(\\w+)\\s+(?:funcID|FuncID)\\s*=\\s*iota\\b");
    private static final Pattern MAP_ENTRY = Pattern.compile("^\\s*\"(\\w+)\":\\s*(?:abi\\.)?(\\w+),");
    private static final Pattern TEXT = Pattern.compile("^TEXT\\s+(?:runtime)?·(\\w+)(?:<ABI\\w+>)?\\(SB\\)\\s*,\\s*([^,]+?)\\s*,\\s*\\$(-?\\d+)(?:-(\\d+))?");

    @ParameterizedTest(name = "{0} stripped={1}")
    @MethodSource("dev.attachproof.pclntab.GoRun#everyRelease")
    void funcIdsAreTheToolchainsOwn(String toolchain, boolean stripped) throws Exception {
        Path binary = GoFixture.build("inlined", toolchain, stripped);
        Pclntab tab = Pclntab.of(ElfFile.open(binary));
        Path src = GoRun.goroot(toolchain).resolve("src");
        List<String> ids = funcIdEnum(src);
        Map<String, String> byName = funcIdMap(src.resolve("cmd/internal/objabi/funcid.go"));
        for (int k = 0; k < ids.size(); k++) {
            assertEquals(ids.get(k), tab.funcIdName(k), "funcID " + k);
        }
        assertEquals("funcID " + ids.size(), tab.funcIdName(ids.size()));

        int wrapper = ids.indexOf("wrapper");
        Set<String> seen = new HashSet<>();
        int checked = 0;
        for (int i = 0; i < tab.functionCount(); i++) {
            Pclntab.FuncInfo f = tab.funcInfo(tab.entry(i)).orElseThrow();
            assertEquals(tab.entry(i), f.entry());
            assertEquals(tab.entry(i + 1), f.end());
            assertEquals(tab.funcIdName(f.funcID()), f.kind());
            String special = f.name().startsWith("runtime.") ? byName.get(f.name().substring(8)) : null;
            if (special != null && !(f.funcID() == wrapper && !f.asm())) {   // an ABI wrapper shares the name
                assertEquals(ids.indexOf(special), f.funcID(), f.name());
                assertTrue(f.is(special), f.name());
                seen.add(f.name());
            } else {
                assertTrue(f.funcID() == 0 || f.funcID() == wrapper, f.name() + " has funcID " + f.funcID());
            }
            if (f.name().startsWith("main.")) {
                assertTrue(f.is("normal"), f.name());
            }
            checked++;
        }
        assertTrue(seen.containsAll(List.of("runtime.goexit", "runtime.mstart", "runtime.asyncPreempt", "runtime.gopanic",
                "runtime.rt0_go", "runtime.main", "runtime.morestack", "runtime.systemstack")), "special functions found: " + seen);
        assertTrue(checked > 1000, "functions: " + checked);
    }

    @ParameterizedTest(name = "{0} stripped={1}")
    @MethodSource("dev.attachproof.testing.GoFixture#toolchainMatrix")
    void assemblyFunctionsHaveTheirDirectivesFlagsAndArgs(String toolchain, boolean stripped) throws Exception {
        Path binary = GoFixture.build("inlined", toolchain, stripped);
        ElfFile elf = ElfFile.open(binary);
        assumeTrue(elf.arch().equals("amd64"), "asm_amd64.s describes amd64 binaries");
        Pclntab tab = Pclntab.of(elf);
        Map<String, List<Pclntab.FuncInfo>> byName = new HashMap<>();
        for (int i = 0; i < tab.functionCount(); i++) {
            Pclntab.FuncInfo f = tab.funcInfo(tab.entry(i)).orElseThrow();
            byName.computeIfAbsent(f.name(), n -> new ArrayList<>()).add(f);
        }
        Map<String, String[]> directives = new LinkedHashMap<>();
        Set<String> twice = new HashSet<>();
        for (String line : Files.readAllLines(GoRun.goroot(toolchain).resolve("src/runtime/asm_amd64.s"))) {
            Matcher m = TEXT.matcher(line);
            if (m.find() && directives.put("runtime." + m.group(1), new String[] {m.group(2), m.group(4)}) != null) {
                twice.add("runtime." + m.group(1));   // defined under different build conditions: which one is linked?
            }
        }
        int checked = 0;
        Set<String> topFrames = new HashSet<>();
        for (Map.Entry<String, String[]> d : directives.entrySet()) {
            List<Pclntab.FuncInfo> asm = byName.getOrDefault(d.getKey(), List.of()).stream().filter(Pclntab.FuncInfo::asm).toList();
            if (asm.isEmpty() || twice.contains(d.getKey())) {
                continue;   // not linked in
            }
            assertEquals(1, asm.size(), d.getKey());
            Pclntab.FuncInfo f = asm.get(0);
            boolean top = d.getValue()[0].contains("TOPFRAME");
            assertEquals(top, f.topFrame(), f.name() + " TOPFRAME, TEXT flags " + d.getValue()[0]);
            if (top) {
                topFrames.add(f.name());
            }
            if (d.getValue()[1] != null) {
                assertEquals(Integer.parseInt(d.getValue()[1]), f.args(), f.name() + " argument size");
            }
            checked++;
        }
        assertEquals(Set.of("runtime.goexit", "runtime.mstart", "runtime.rt0_go"), topFrames);
        assertTrue(checked > 25, "assembly functions checked: " + checked);
    }

    /** Every deferreturn offset points at a CALL rel32 (0xe8) whose target is runtime.deferreturn. */
    @ParameterizedTest(name = "{0} stripped={1}")
    @MethodSource("dev.attachproof.testing.GoFixture#toolchainMatrix")
    void deferreturnPointsAtTheCall(String toolchain, boolean stripped) throws Exception {
        Path binary = GoFixture.build("inlined", toolchain, stripped);
        ElfFile elf = ElfFile.open(binary);
        assumeTrue(elf.arch().equals("amd64"), "decodes an amd64 CALL");
        Pclntab tab = Pclntab.of(elf);
        Set<String> withDefer = new HashSet<>();
        for (int i = 0; i < tab.functionCount(); i++) {
            Pclntab.FuncInfo f = tab.funcInfo(tab.entry(i)).orElseThrow();
            if (f.deferreturn() == 0) {
                continue;
            }
            long call = f.entry() + f.deferreturn();
            assertTrue(call + 5 <= f.end(), f.name());
            ByteBuffer code = elf.readVirtual(call, 5).orElseThrow();
            assertEquals(0xe8, code.get(0) & 0xff, f.name() + " deferreturn does not point at a CALL");
            long target = call + 5 + code.getInt(1);
            assertEquals("runtime.deferreturn", tab.lookup(target).orElseThrow().function(), f.name());
            withDefer.add(f.name());
        }
        assertTrue(withDefer.contains("main.recovers"), "functions with deferreturn: " + withDefer);
        assertTrue(withDefer.size() >= 10, "functions with deferreturn: " + withDefer.size());
    }

    /** The funcID constants in order, named without their funcID_ / FuncID prefix. */
    static List<String> funcIdEnum(Path src) throws Exception {
        Path abi = src.resolve("internal/abi/symtab.go");
        for (Path file : List.of(abi, src.resolve("runtime/symtab.go"))) {
            if (!Files.exists(file)) {
                continue;
            }
            List<String> ids = null;
            for (String line : Files.readAllLines(file)) {
                String code = line.replaceAll("//.*", "").strip();
                if (ids == null) {
                    Matcher m = ENUM_START.matcher(code);
                    if (m.find()) {
                        ids = new ArrayList<>(List.of(idName(m.group(1))));
                    }
                } else if (code.equals(")")) {
                    return ids;
                } else if (!code.isEmpty()) {
                    ids.add(idName(code));
                }
            }
        }
        throw new AssertionError("no funcID enum under " + src);
    }

    /** objabi's funcIDs map: runtime function name (without "runtime.") to funcID name. */
    static Map<String, String> funcIdMap(Path funcidGo) throws Exception {
        Map<String, String> map = new HashMap<>();
        boolean in = false;
        for (String line : Files.readAllLines(funcidGo)) {
            if (line.startsWith("var funcIDs = map[string]")) {
                in = true;
            } else if (in && line.equals("}")) {
                break;
            } else if (in) {
                Matcher m = MAP_ENTRY.matcher(line);
                if (m.find()) {
                    map.put(m.group(1), idName(m.group(2)));
                }
            }
        }
        assertTrue(map.size() > 15, "funcIDs map in " + funcidGo);
        return map;
    }

    private static String idName(String constant) {
        if (constant.startsWith("funcID_") || constant.startsWith("FuncID_")) {
            return constant.substring(7);
        }
        assertTrue(constant.startsWith("FuncID") && constant.length() > 6, constant);
        return Character.toLowerCase(constant.charAt(6)) + constant.substring(7);   // FuncIDNormal -> normal
    }
}
