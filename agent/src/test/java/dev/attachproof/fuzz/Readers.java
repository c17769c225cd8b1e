package dev.attachproof.fuzz;

import dev.attachproof.dwarf.Dwarf;
import dev.attachproof.dwarf.DwarfScan;
import dev.attachproof.elf.ElfFile;
import dev.attachproof.elf.ElfFormatException;
import dev.attachproof.buildinfo.GoBuildInfo;
import dev.attachproof.golang.RuntimeLayout;
import dev.attachproof.golang.RuntimeLayouts;
import dev.attachproof.pclntab.Pclntab;

import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What the fuzz tests do with a (corrupted) file: call every reader the agent calls on an
 * untrusted binary, the way the agent calls them. The one outcome allowed besides an answer is
 * {@link ElfFormatException} with a one-line reason: anything else thrown here (IndexOutOfBounds,
 * BufferUnderflow, NegativeArraySize, OutOfMemoryError, ...) is a finding. {@link #refuse} is
 * where each fuzz test catches it.
 */
final class Readers {
    private Readers() {}

    /**
     * How long each fuzz test fuzzes when fuzzing is on and no {@code -Djazzer.max_duration} says
     * otherwise: the length of one target of the default suite's short run (agent/pom.xml,
     * execution fuzz-short). It has no effect in regression mode.
     */
    static final String SHORT = "4s";
    /** The tag of every @FuzzTest class: they run in JVMs of their own (agent/pom.xml, fuzz-regression). */
    static final String FUZZ = "fuzz";
    /** The tag of the fuzz tests the default suite fuzzes for {@link #SHORT}: one per class (one per JVM, Jazzer's rule). */
    static final String SHORT_RUN = "fuzz-short";

    /** The debug sections the DWARF reader asks for. */
    static final List<String> DEBUG_SECTIONS = List.of(".debug_info", ".debug_abbrev", ".debug_line",
            ".debug_str", ".debug_addr", ".debug_rnglists", ".debug_loclists", ".debug_frame");

    /** Every reader, on an in-memory image. */
    static void readAll(byte[] image) throws ElfFormatException {
        ElfFile elf = ElfFile.of(image);
        elf.arch();
        elf.firstLoadAddress();
        elf.notes();
        elf.goBuildId();
        elf.symbols(GoSeeds.SYMBOLS);
        GoBuildInfo.read(elf).ifPresent(GoBuildInfo::optimized);
        readDebugSections(elf);
        if (elf.section(".gopclntab").isPresent()) {
            lookups(Pclntab.of(elf), new long[0]);
        }
    }

    /** Decompresses the debug sections, as the DWARF reader's first step does, then reads the DWARF. */
    static void readDebugSections(ElfFile elf) throws ElfFormatException {
        elf.hasDwarf();
        for (String name : DEBUG_SECTIONS) {
            elf.debugSection(name);
        }
        readDwarf(elf);
    }

    /**
     * The DWARF reader as the agent uses it (version, the runtime layout scan of the "runtime"
     * units, then of all) and a walk of every DIE reading every attribute every way.
     */
    static void readDwarf(ElfFile elf) throws ElfFormatException {
        Dwarf.version(elf);
        Optional<Dwarf> dwarf = Dwarf.of(elf);
        if (dwarf.isEmpty()) {
            return;
        }
        RuntimeLayouts.fromDwarf(elf);
        DwarfScan.scan(dwarf.get(), null, Set.copyOf(RuntimeLayout.STRUCTS), Set.of("runtime.allgs", "runtime.allglen"),
                List.of("runtime._G", "runtime.waitReason"));
        try {
            DwarfFuzzTest.walkAll(dwarf.get());
        } catch (DwarfFuzzTest.Refused r) {
            throw r.cause;
        }
    }

    /**
     * PC lookups: the entry of, and a PC inside, each of the first 64 functions, the text start,
     * and {@code extra} PCs (from the fuzzer). Each decodes the function's tables.
     */
    static void lookups(Pclntab tab, long[] extra) throws ElfFormatException {
        tab.format();
        tab.fileNames();   // vscode's substitutePath reads the whole file table
        int n = Math.min(tab.functionCount(), 64);
        for (int i = 0; i < n; i++) {
            long entry = tab.entry(i);
            at(tab, entry);
            at(tab, entry + 7);
        }
        at(tab, tab.textStart());
        for (long pc : extra) {
            at(tab, pc);
        }
    }

    /** Everything Pclntab answers about one PC: line, inlined frames, _func fields, SP delta. */
    static void at(Pclntab tab, long pc) throws ElfFormatException {
        tab.lookup(pc);
        tab.frames(pc);
        tab.funcInfo(pc);
        tab.spDelta(pc);
    }

    /** What each fuzz test does with a refusal: checks it is one line, as the CLI prints it. */
    static void refuse(ElfFormatException e) {
        String m = e.getMessage();
        if (m == null || m.isBlank() || m.chars().anyMatch(c -> c < 0x20 || c == 0x7f || c == 0x85 || c == 0x2028
                || c == 0x2029)) {
            throw new AssertionError("ElfFormatException without a one-line reason: " + m, e);
        }
    }
}
