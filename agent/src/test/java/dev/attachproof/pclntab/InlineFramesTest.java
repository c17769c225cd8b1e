package dev.attachproof.pclntab;

import dev.attachproof.elf.ElfFile;
import dev.attachproof.testing.GoFixture;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Pclntab#frames(long)} against Go's own expansion, on agent/go/inlined built by each
 * toolchain of the matrix, with and without -ldflags=-s -w (where go:func.* must come from
 * moduledata). Two oracles, both the binary's own runtime: the stacks it captures with
 * runtime.Callers from inside inlined code, as runtime.CallersFrames expands them (one PC a
 * logical frame: function, file, line, Frame.PC and whether Frame.Func is nil), which our
 * expansion of each physical return address must reproduce frame by frame; and, for every
 * instruction byte of the program's main package and 3,000 random PCs of the whole binary (with
 * the call-site PCs of every inlined frame found there), the innermost frame CallersFrames gives.
 */
class InlineFramesTest {

    @ParameterizedTest(name = "{0} stripped={1}")
    @MethodSource("dev.attachproof.pclntab.GoRun#everyRelease")
    void stacksExpandAsCallersFramesDoes(String toolchain, boolean stripped) throws Exception {
        Path binary = GoFixture.build("inlined", toolchain, stripped);
        ElfFile elf = ElfFile.open(binary);
        Pclntab tab = Pclntab.of(elf);
        List<List<String[]>> stacks = stacks(GoRun.run(List.of(binary.toString()), ""));
        assertEquals(7, stacks.size(), "stacks printed");

        int frames = 0;
        int inlined = 0;
        for (List<String[]> stack : stacks) {
            int i = 0;
            while (i < stack.size()) {
                long pc = Long.decode(stack.get(i)[0]);
                List<Pclntab.Frame> ours = tab.frames(pc - 1);   // a return address: the call is before it
                assertFalse(ours.isEmpty(), String.format("no frames at 0x%x", pc - 1));
                for (int j = 0; j < ours.size(); j++) {
                    assertTrue(i + j < stack.size(), "more frames than Go's at " + stack.get(i)[0]);
                    String[] want = stack.get(i + j);
                    Pclntab.Frame got = ours.get(j);
                    String where = String.format("pc %s frame %d of %s", stack.get(i)[0], j, ours);
                    assertEquals(GoRun.printName(want[1]), GoRun.printName(got.function()), where);
                    assertEquals(want[2] + ":" + want[3], got.file() + ":" + got.line(), where);
                    assertEquals(Long.decode(want[4]), got.pc(), where);
                    assertEquals(want[5].equals("inlined"), got.inlined(), where);
                    assertEquals(j < ours.size() - 1, got.inlined(), where);
                    // Go's next PC is the synthetic one for this call site, or the next physical frame.
                    if (got.inlined()) {
                        assertEquals(ours.get(j + 1).pc() + 1, Long.decode(stack.get(i + j + 1)[0]), where);
                        inlined++;
                    }
                    frames++;
                }
                i += ours.size();
            }
        }
        // Every stack has at least one inlined frame (the fixture's point), 17 in all on 1.19-1.26.
        assertTrue(inlined >= 14, "inlined frames compared: " + inlined);
        assertTrue(frames >= 50, "frames compared: " + frames);
    }

    @ParameterizedTest(name = "{0} stripped={1}")
    @MethodSource("dev.attachproof.testing.GoFixture#toolchainMatrix")
    void innermostFrameAtEveryPcAsCallersFramesGivesIt(String toolchain, boolean stripped) throws Exception {
        Path binary = GoFixture.build("inlined", toolchain, stripped);
        Pclntab tab = Pclntab.of(ElfFile.open(binary));

        Set<Long> pcs = new LinkedHashSet<>();
        Random r = new Random(11);
        for (int i = 0; i < tab.functionCount(); i++) {
            if (tab.funcInfo(tab.entry(i)).orElseThrow().name().startsWith("main.")) {
                for (long pc = tab.entry(i); pc < tab.entry(i + 1) - 1; pc++) {
                    pcs.add(pc);
                }
            }
        }
        int mainPcs = pcs.size();
        for (int k = 0; k < 3000; k++) {
            int i = r.nextInt(tab.functionCount());
            long size = tab.entry(i + 1) - tab.entry(i);
            if (size > 1) {
                pcs.add(tab.entry(i) + r.nextLong(size - 1));   // not the last byte: PC+1 would be the next function
            }
        }
        // Every frame of every expansion: each must be what Go says is innermost at that frame's PC.
        List<Pclntab.Frame> expected = new ArrayList<>();
        List<Long> asked = new ArrayList<>();
        int withInlined = 0;
        for (long pc : pcs) {
            List<Pclntab.Frame> fs = tab.frames(pc);
            assertEquals(pc, fs.get(0).pc());
            withInlined += fs.size() > 1 ? 1 : 0;
            for (Pclntab.Frame f : fs) {
                asked.add(f.pc());
                expected.add(f);
            }
        }
        StringBuilder in = new StringBuilder();
        for (long pc : asked) {
            in.append(String.format("0x%x%n", pc));
        }
        String[] answers = GoRun.run(List.of(binary.toString(), "-pcs"), in.toString()).split("\n");
        assertEquals(asked.size(), answers.length, "answers");
        int unnamed = 0;
        for (int k = 0; k < asked.size(); k++) {
            String[] want = answers[k].split("\t");
            Pclntab.Frame got = expected.get(k);
            String where = String.format("pc 0x%x (%s)", asked.get(k), got);
            if (answers[k].equals("?") && !got.inlined() && got.entry() == tab.entry(0)) {
                // Go's runtime names no function whose name sits at funcnametab offset 0 (cfuncname
                // in 1.19, funcName from 1.21 take nameOff 0 for none): with 1.19 and 1.22 that is
                // the first function of the text, which we name as addr2line does.
                unnamed++;
                continue;
            }
            assertEquals(3, want.length, where + ": Go answered " + answers[k]);
            assertEquals(GoRun.printName(want[0]), GoRun.printName(got.function()), where);
            assertEquals(want[1] + ":" + want[2], position(got), where);
        }
        assertTrue(unnamed < 200, "PCs Go could not name: " + unnamed);
        assertTrue(mainPcs > 1000, "main package PCs: " + mainPcs);
        assertTrue(withInlined > 200, "PCs inside inlined code: " + withInlined);
    }

    /** The go:func.* base that funcdata offsets count from: moduledata's, the symbol's when there is one. */
    @ParameterizedTest(name = "{0} stripped={1}")
    @MethodSource("dev.attachproof.pclntab.GoRun#everyRelease")
    void gofuncFromModuledataIsTheSymbol(String toolchain, boolean stripped) throws Exception {
        Path binary = GoFixture.build("inlined", toolchain, stripped);
        ElfFile elf = ElfFile.open(binary);
        Pclntab tab = Pclntab.of(elf);
        Map<String, ElfFile.Symbol> syms = elf.symbols(List.of("go:func.*", "go.func.*"));
        if (stripped) {
            assertTrue(syms.isEmpty(), "-s leaves no symbol table");
            assertNotEquals(0L, tab.gofunc(), "found through moduledata");
        } else {
            ElfFile.Symbol sym = syms.getOrDefault("go:func.*", syms.get("go.func.*"));
            assertEquals(sym.value(), tab.gofunc());
        }
    }

    /** file:line as the runtime prints them: "?:0" past the function's tables, where we answer "" and -1 as lookup does. */
    private static String position(Pclntab.Frame f) {
        return f.line() < 0 && f.file().isEmpty() ? "?:0" : f.file() + ":" + f.line();
    }

    /** "stack NAME", then "pc PC\tFUNCTION\tFILE\tLINE\tFRAMEPC\tKIND" lines, then "end". */
    private static List<List<String[]>> stacks(String out) {
        List<List<String[]>> stacks = new ArrayList<>();
        List<String[]> current = null;
        for (String line : out.split("\n")) {
            if (line.startsWith("stack ")) {
                current = new ArrayList<>();
            } else if (line.equals("end")) {
                stacks.add(current);
            } else if (line.startsWith("pc ")) {
                String[] f = line.substring(3).split("\t");
                assertEquals(6, f.length, line);
                current.add(f);
            }
        }
        return stacks;
    }
}
