package dev.attachproof.pclntab;

import dev.attachproof.dwarf.Dwarf;
import dev.attachproof.dwarf.DwarfScan;
import dev.attachproof.dwarf.StructType;
import dev.attachproof.elf.ElfFile;
import dev.attachproof.elf.ElfFormatException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A parsed pcHeader and its tables. {@link #lookup(long)} answers for a PC: the function that
 * holds it and the file and line the PC belongs to; {@link #frames(long)} expands the inlined
 * calls at a PC into logical frames; {@link #funcInfo(long)} and {@link #spDelta(long)} give the
 * function's runtime fields and its frame size at a PC.
 */
public final class Pclntab {
    /** Go 1.16 and 1.17: functab entries and _func.entry are absolute; funcdata are pointers. */
    public static final int GO_1_16 = 0xfffffffa;
    public static final int GO_1_18 = 0xfffffff0;
    public static final int GO_1_20 = 0xfffffff1;
    private static final int MAX_FUNCS = 10_000_000;
    /** No function has more PC steps than the table has bytes; this bounds a corrupted one. */
    private static final int MAX_STEPS = 1 << 24;
    /** Deeper than any inliner goes (Go's stops at a budget, not a depth); bounds a cyclic tree. */
    private static final int MAX_INLINE_DEPTH = 1_000;
    /** abi.PCDATA_InlTreeIndex and abi.FUNCDATA_InlTree (runtime/symtab.go in 1.19, internal/abi from 1.21). */
    private static final int PCDATA_INL_TREE_INDEX = 2;
    private static final int FUNCDATA_INL_TREE = 3;

    /**
     * funcID names in enum order (the _func and inlinedCall byte is the index), as each release
     * numbers them: runtime/symtab.go {@code funcID_*} in Go 1.19, internal/abi/symtab.go {@code
     * FuncID*} from Go 1.21, both read from those releases' sources. 1.21 numbers as 1.19; 1.22
     * inserted corostart; 1.25 replaced runfinq by runFinalizers and runCleanups (after
     * runtime_main), and 1.26 numbers as 1.25. 1.18 and 1.20 number as 1.19 and 1.21: checked on real binaries of those releases (esbuild's)
     * through the functions the compiler assigns funcIDs by name. Which one a table uses is read
     * from the table ({@link #numbering}), not from the release.
     */
    private static final List<String> FUNC_IDS_1_18 = List.of("normal", "abort", "asmcgocall", "asyncPreempt",
            "cgocallback", "debugCallV2", "gcBgMarkWorker", "goexit", "gogo", "gopanic", "handleAsyncEvent", "mcall",
            "morestack", "mstart", "panicwrap", "rt0_go", "runfinq", "runtime_main", "sigpanic", "systemstack",
            "systemstack_switch", "wrapper");
    private static final List<String> FUNC_IDS_1_22 = List.of("normal", "abort", "asmcgocall", "asyncPreempt",
            "cgocallback", "corostart", "debugCallV2", "gcBgMarkWorker", "goexit", "gogo", "gopanic", "handleAsyncEvent",
            "mcall", "morestack", "mstart", "panicwrap", "rt0_go", "runfinq", "runtime_main", "sigpanic", "systemstack",
            "systemstack_switch", "wrapper");
    private static final List<String> FUNC_IDS_1_25 = List.of("normal", "abort", "asmcgocall", "asyncPreempt",
            "cgocallback", "corostart", "debugCallV2", "gcBgMarkWorker", "goexit", "gogo", "gopanic", "handleAsyncEvent",
            "mcall", "morestack", "mstart", "panicwrap", "rt0_go", "runtime_main", "runFinalizers", "runCleanups",
            "sigpanic", "systemstack", "systemstack_switch", "wrapper");

    private final ByteBuffer tab;
    private final int magic;
    private final int minLC;
    private final int nfunc;
    /** runtime.text, the base of 1.18+ entry offsets (not final: see {@link #of}). */
    private long textStart;
    private final int funcnameOff;
    private final int cuOff;
    private final int filetabOff;
    private final int pctabOff;
    private final int pclnOff;
    /** Byte size of the fixed part of _func: Go 1.20 added startLine. */
    private final int funcSize;
    /** Bytes per functab entry: (entry, funcoff) as two uintptrs before 1.18, two uint32s after. */
    private final int ftabEntry;
    /** How much further into _func its fields after the entry lie: 4 when the entry is a uintptr (1.16, 1.17). */
    private final int fieldShift;
    private final Func[] funcs;
    /** The file the table came from: funcdata (go:func.*) and the build info are read from it. */
    private final ElfFile elf;
    /** Virtual address of .gopclntab, which moduledata.pcHeader holds. */
    private final long tabAddress;
    /** moduledata.gofunc, found on first use: -1 before, 0 when the file has none we can find. */
    private long gofunc = -1;
    /** moduledata's first words as the file holds them (empty: none found), found on first use. */
    private ByteBuffer moduledata;
    /** Which of moduledata's words hold what, chosen on first use ({@link #moduledataWords}). */
    private ModuledataWords moduledataWords;
    private List<String> funcIds;
    private String foundBy = "";

    private Pclntab(ByteBuffer tab, long textFallback, ElfFile elf, long tabAddress) throws ElfFormatException {
        this.elf = elf;
        this.tabAddress = tabAddress;
        this.tab = tab.order(ByteOrder.LITTLE_ENDIAN);
        if (tab.limit() < 72) {
            throw new ElfFormatException(".gopclntab is too short for a header");
        }
        magic = tab.getInt(0);
        if (magic != GO_1_16 && magic != GO_1_18 && magic != GO_1_20) {
            throw new ElfFormatException(String.format(".gopclntab magic 0x%08x is not a format read here (Go 1.16 and later)", magic));
        }
        minLC = Byte.toUnsignedInt(tab.get(6));
        int ptrSize = Byte.toUnsignedInt(tab.get(7));
        if (ptrSize != 8 || minLC == 0) {
            throw new ElfFormatException(".gopclntab header: pointer size " + ptrSize + ", instruction quantum " + minLC);
        }
        long n = tab.getLong(8);
        if (n < 0 || n > MAX_FUNCS) {
            throw new ElfFormatException(".gopclntab claims " + n + " functions");
        }
        nfunc = (int) n;
        // pcHeader: magic, pad, minLC, ptrSize, nfunc, nfiles, then (from 1.18) textStart, then the
        // table offsets: funcname, cu, filetab, pctab, pcln (debug/gosym's go116/go118 readers).
        int h = magic == GO_1_16 ? 24 : 32;
        if (magic == GO_1_16) {
            textStart = 0;   // entries are absolute
        } else {
            long ts = tab.getLong(24);
            textStart = ts != 0 ? ts : textFallback;   // 0: found by of()
        }
        funcnameOff = offset(h);
        cuOff = offset(h + 8);
        filetabOff = offset(h + 16);
        pctabOff = offset(h + 24);
        pclnOff = offset(h + 32);
        // _func: 1.16/1.17 start with an 8-byte entry (44 bytes in all), 1.18 a 4-byte entryoff
        // (40), 1.20 adds startLine (44).
        funcSize = magic == GO_1_18 ? 40 : 44;
        ftabEntry = magic == GO_1_16 ? 16 : 8;
        fieldShift = magic == GO_1_16 ? 4 : 0;
        if (!fits(pclnOff, (nfunc + 1L) * ftabEntry + 4)) {
            throw new ElfFormatException(".gopclntab function table runs past the section");
        }
        funcs = new Func[nfunc];   // after the check: a lying nfunc must not cost up to 40 MB
    }

    /**
     * The table of an ELF Go binary, wherever its linker put it (see {@link #locate}).
     * <p>
     * Entry offsets (1.18+) count from runtime.text. pcHeader.textStart holds it, except where
     * the file does not: Go 1.26 writes 0 there, and a PIE's copy is filled in by a dynamic
     * relocation at load (read here through the relocation, {@link ElfFile#word}). Then it is
     * moduledata.text ({@link ModuledataWords#text}), else the symbol
     * runtime.text, else the start of .text. The order matters for cgo binaries linked by the
     * system linker, whose .text starts with C code before Go's.
     */
    public static Pclntab of(ElfFile elf) throws ElfFormatException {
        return of(elf, tab -> { });
    }

    /**
     * The table of {@code elf} as {@link #of(ElfFile)} reads it, with what an earlier reader of
     * the same file found out ({@link #findings}) taken as found: moduledata is not looked for
     * again, nor its positions in the binary's DWARF, nor the funcID numbering.
     */
    public static Pclntab of(ElfFile elf, Findings known) throws ElfFormatException {
        return of(elf, tab -> {
            tab.moduledataWords = known.words();
            tab.moduledata = ByteBuffer.allocate(known.moduledata().length * 8).order(ByteOrder.LITTLE_ENDIAN);
            tab.moduledata.asLongBuffer().put(known.moduledata());
            tab.gofunc = known.gofunc();
            tab.funcIds = known.funcIds();
        });
    }

    /**
     * The table of {@code elf} as {@link #of(ElfFile)} reads it, with runtime.moduledata as the
     * binary's DWARF describes it, from a scan already made for the runtime's layouts: the same
     * positions {@link #moduledataWords} would scan the DWARF for again.
     */
    public static Pclntab of(ElfFile elf, StructType moduledataLayout) throws ElfFormatException {
        return of(elf, tab -> tab.moduledataWords = ModuledataWords.fromDwarf(moduledataLayout)
                .orElseGet(() -> ModuledataWords.forFormat(tab.magic)));
    }

    private static Pclntab of(ElfFile elf, java.util.function.Consumer<Pclntab> known) throws ElfFormatException {
        Located at = locate(elf);
        Pclntab tab = new Pclntab(at.bytes(), 0, elf, at.address());
        tab.foundBy = at.how();
        known.accept(tab);
        tab.findTextStart();
        return tab;
    }

    /**
     * What this reader finds out about its binary beyond the table's header, each looked for now
     * if it was not yet: where moduledata's fields lie and its words, the base of funcdata
     * offsets, the funcID numbering. The DWARF scan and the word scans behind them are most of
     * what reading a binary costs beyond mapping it; {@link #of(ElfFile, Findings)} takes them
     * back. Empty when the file's relocations or moduledata fail their checks: each reader then
     * meets the failure itself, and says it where it meets it.
     */
    public Optional<Findings> findings() {
        try {
            moduledataWords();
            moduledataWord(0);
            long base = gofunc();
            funcIdName(0);
            long[] words = new long[moduledata.limit() / 8];
            moduledata.asLongBuffer().get(words);
            return Optional.of(new Findings(moduledataWords, words, base, funcIds));
        } catch (ElfFormatException e) {
            return Optional.empty();
        }
    }

    /**
     * What {@link #findings} returns.
     *
     * @param words      which of moduledata's words hold what
     * @param moduledata moduledata's first words as the file holds them; none when it was not found
     * @param gofunc     moduledata.gofunc, the base of funcdata offsets; 0 when none was found
     * @param funcIds    the funcID names in the table's numbering
     */
    public record Findings(ModuledataWords words, long[] moduledata, long gofunc, List<String> funcIds) {}

    /** runtime.text, where the pcHeader does not hold it: see {@link #of(ElfFile)}. */
    private void findTextStart() throws ElfFormatException {
        long loaded = magic == GO_1_16 ? 0 : elf.word(tabAddress + 24).orElse(0);
        if (loaded != 0) {
            textStart = loaded;   // a PIE's is a relocation, whatever the file holds there
        } else if (magic != GO_1_16) {
            long fromModule = moduledataWord(moduledataWords().text());
            if (fromModule != 0) {
                textStart = fromModule;
            } else {
                ElfFile.Symbol sym = elf.symbols(List.of("runtime.text")).get("runtime.text");
                textStart = sym != null ? sym.value() : elf.section(".text").map(ElfFile.Section::address).orElse(0L);
            }
        }
    }

    /**
     * Another reader of the same table, with caches of its own, for another thread (a reader's
     * decoded-function cache is not shared): nothing is located or scanned again. Whatever this
     * reader already found of moduledata is handed over; it is not changed once found. What a
     * traceback asks first (moduledata.gofunc, found from the DWARF: milliseconds; the funcID
     * numbering) is found here, once, rather than by every thread's reader.
     */
    public Pclntab forAnotherThread() throws ElfFormatException {
        try {
            gofunc();
        } catch (ElfFormatException e) {
            // not found: each reader meets the same where it asks, as this one would
        }
        if (funcIds == null) {
            funcIds = numbering();
        }
        Pclntab other = new Pclntab(tab.duplicate(), 0, elf, tabAddress);
        other.textStart = textStart;
        other.foundBy = foundBy;
        other.moduledata = moduledata;
        other.moduledataWords = moduledataWords;
        other.gofunc = gofunc;
        other.funcIds = funcIds;
        return other;
    }

    /**
     * How the table was found: "section .gopclntab", "symbol runtime.pclntab", "pcHeader in
     * .data.rel.ro, named by moduledata", "pcHeader in .data.rel.ro, found by its magic".
     */
    public String foundBy() {
        return foundBy;
    }

    /** The table's bytes, its link-time address, and how it was found. */
    private record Located(ByteBuffer bytes, long address, String how) {}

    /** Sections the external linker puts the pclntab in (Go 1.16 to 1.25), where the magic is looked for. */
    private static final List<String> DATA_SECTIONS = List.of(".data.rel.ro", ".rodata");

    /**
     * Where the pclntab is. Go's own linker writes a section .gopclntab (.data.rel.ro.gopclntab
     * in a PIE before Go 1.26). Linked externally (cgo, -linkmode=external, as distributions
     * build), Go 1.16 to 1.25 put it inside .data.rel.ro (.rodata when not PIE) as the symbol
     * runtime.pclntab, up to runtime.epclntab; Go 1.26 keeps a .gopclntab section there too. A
     * stripped binary has neither section nor symbol: the table is found by its pcHeader (the
     * magic, two zero bytes, the instruction quantum, pointer size 8), the one moduledata names
     * ({@link #namedByModuledata}); failing that, the first such header whose tables fit, as
     * debug/gosym's users search for it.
     */
    private static Located locate(ElfFile elf) throws ElfFormatException {
        Optional<ElfFile.Section> s = elf.section(".gopclntab").or(() -> elf.section(".data.rel.ro.gopclntab"));
        if (s.isPresent()) {
            return new Located(elf.contents(s.get()), s.get().address(), "section " + s.get().name());
        }
        Map<String, ElfFile.Symbol> syms = elf.symbols(List.of("runtime.pclntab", "runtime.epclntab"));
        ElfFile.Symbol start = syms.get("runtime.pclntab");
        if (start != null) {
            ElfFile.Symbol end = syms.get("runtime.epclntab");
            Optional<ByteBuffer> b = end != null && end.value() > start.value() && end.value() - start.value() < Integer.MAX_VALUE
                    ? elf.readVirtual(start.value(), (int) (end.value() - start.value()))
                    : restOfSection(elf, start.value());
            if (b.isPresent()) {
                return new Located(b.get(), start.value(), "symbol runtime.pclntab");
            }
        }
        Optional<Located> named = namedByModuledata(elf);
        if (named.isPresent()) {
            return named.get();
        }
        for (String name : DATA_SECTIONS) {
            Optional<ElfFile.Section> data = elf.section(name);
            if (data.isEmpty()) {
                continue;
            }
            ByteBuffer b = elf.contents(data.get());
            for (int at = 0; at + 72 <= b.limit(); at += 8) {
                if (!looksLikeHeader(b, at)) {
                    continue;
                }
                Located candidate = new Located(b.slice(at, b.limit() - at), data.get().address() + at,
                        "pcHeader in " + name + ", found by its magic");
                try {
                    new Pclntab(candidate.bytes(), 0, elf, candidate.address());
                    return candidate;
                } catch (ElfFormatException e) {
                    // bytes that only look like a header: look on
                }
            }
        }
        throw new ElfFormatException("no pclntab: no .gopclntab section, no runtime.pclntab symbol, and no pcHeader in "
                + String.join(" or ", DATA_SECTIONS) + " (a Go binary older than Go 1.16, or not a Go binary)");
    }

    /**
     * The pcHeader a moduledata names: a word in moduledata's sections pointing at a header in
     * {@link #DATA_SECTIONS}, followed by the header's funcnametab pointer (moduledata begins
     * pcHeader, funcnametab: runtime/symtab.go). One pass over those sections' words, where a
     * scan of .data.rel.ro for the magic reads tens of megabytes in a big server.
     */
    private static Optional<Located> namedByModuledata(ElfFile elf) throws ElfFormatException {
        List<ElfFile.Section> data = DATA_SECTIONS.stream().map(elf::section).flatMap(Optional::stream).toList();
        List<ByteBuffer> bytes = data.stream().map(elf::contents).toList();
        for (String name : MODULEDATA_SECTIONS) {
            Optional<ElfFile.Section> s = elf.section(name);
            if (s.isEmpty()) {
                continue;
            }
            long[] words = elf.words(s.get());
            for (int i = 0; i + 1 < words.length; i++) {
                long v = words[i];
                for (int k = 0; k < data.size(); k++) {
                    long off = v - data.get(k).address();
                    ByteBuffer b = bytes.get(k);
                    if ((v & 7) != 0 || off < 0 || off + 72 > b.limit() || !looksLikeHeader(b, (int) off)) {
                        continue;
                    }
                    int magic = b.getInt((int) off);
                    int h = magic == GO_1_16 ? 24 : 32;   // where the header keeps funcnametab's offset
                    ModuledataWords at = ModuledataWords.forFormat(magic);
                    int next = i - at.pcHeader() + at.funcnametab();
                    if (next >= 0 && next < words.length && words[next] == v + b.getLong((int) off + h)) {
                        return Optional.of(new Located(b.slice((int) off, b.limit() - (int) off), v,
                                "pcHeader in " + data.get(k).name() + ", named by moduledata"));
                    }
                }
            }
        }
        return Optional.empty();
    }

    /** From {@code vaddr} to the end of the section holding it. */
    private static Optional<ByteBuffer> restOfSection(ElfFile elf, long vaddr) {
        return elf.sections().stream()
                .filter(x -> x.type() != ElfFile.SHT_NOBITS && Long.compareUnsigned(vaddr - x.address(), x.size()) < 0)
                .findFirst()
                .flatMap(x -> elf.readVirtual(vaddr, (int) (x.address() + x.size() - vaddr)));
    }

    /** The pcHeader's fixed bytes at {@code at}: a known magic, two zero pad bytes, quantum 1, 2 or 4, pointer size 8. */
    private static boolean looksLikeHeader(ByteBuffer b, int at) {
        int m = b.getInt(at);
        int quantum = b.get(at + 6);
        return (m == GO_1_20 || m == GO_1_18 || m == GO_1_16) && b.getShort(at + 4) == 0
                && (quantum == 1 || quantum == 2 || quantum == 4) && b.get(at + 7) == 8;
    }

    public int functionCount() {
        return nfunc;
    }

    public long textStart() {
        return textStart;
    }

    /**
     * Every source file name the binary's functions come from: the filetab, the linker's C
     * strings end to end between the filetab and the pctab offsets (cmd/link pcln.go,
     * writeFiletab), at most the header's nfiles. Absolute paths as built, or module-relative
     * ones ("example.com/m/main.go", "runtime/proc.go") under -trimpath; stripped binaries keep them.
     */
    public List<String> fileNames() throws ElfFormatException {
        long nfiles = tab.getLong(16);
        if (nfiles < 0 || pctabOff < filetabOff) {
            throw new ElfFormatException(".gopclntab header: " + nfiles + " files, filetab at " + filetabOff + " past the pctab at " + pctabOff);
        }
        List<String> names = new ArrayList<>();
        int at = filetabOff;
        while (at < pctabOff && names.size() < nfiles) {
            int end = at;
            while (end < pctabOff && tab.get(end) != 0) {
                end++;
            }
            if (end > at) {
                byte[] b = new byte[end - at];
                tab.get(at, b);
                names.add(new String(b, StandardCharsets.UTF_8));
            }
            at = end + 1;
        }
        return names;
    }

    /** The pcHeader's magic: {@link #GO_1_16}, {@link #GO_1_18} or {@link #GO_1_20}. */
    public int magic() {
        return magic;
    }

    /** "go1.16", "go1.18" or "go1.20": the format family. */
    public String format() {
        return magic == GO_1_20 ? "go1.20" : magic == GO_1_18 ? "go1.18" : "go1.16";
    }

    /** Entry PC of function {@code i} (0 <= i <= functionCount; the last is the end of the text). */
    public long entry(int i) {
        return magic == GO_1_16 ? tab.getLong(pclnOff + i * 16)
                : textStart + Integer.toUnsignedLong(tab.getInt(pclnOff + i * 8));
    }

    /**
     * The function named {@code name} ("runtime.allgadd"): its index, for {@link #entry(int)}
     * (entry(i), entry(i + 1)) is its extent. A scan of the name table, without symbols: stripped
     * binaries keep it. Empty when no function has that name.
     */
    public java.util.OptionalInt function(String name) throws ElfFormatException {
        byte[] want = name.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < nfunc; i++) {
            long at = (long) funcnameOff + tab.getInt(funcOffset(i) + fieldShift + 4);
            if (at >= 0 && at + want.length < tab.limit() && tab.get((int) at + want.length) == 0
                    && equalsAt((int) at, want)) {
                return java.util.OptionalInt.of(i);
            }
        }
        return java.util.OptionalInt.empty();
    }

    /** The function holding {@code pc} and its source position; empty outside the table. */
    public Optional<SourceLine> lookup(long pc) throws ElfFormatException {
        int i = find(pc);
        if (i < 0) {
            return Optional.empty();
        }
        Func fn = func(i);
        int line = fn.lines.valueAt(pc);
        int fileIndex = fn.files.valueAt(pc);
        String file = fileIndex < 0 ? "" : fn.fileName(fileIndex);   // as Go reports a PC past the tables
        return Optional.of(new SourceLine(fn.name, fn.entry, file, line));
    }

    /**
     * The logical frames at {@code pc}, innermost first, as Go's runtime expands a PC through the
     * function's inline tree (runtime/symtabinl.go inlineUnwinder; gentraceback in 1.19): while
     * pcdata InlTreeIndex at the PC names an entry of funcdata InlTree, that entry is an inlined
     * call (its function's name), and its caller's position is at entry + parentPc; the last frame
     * is the physical function. Each frame's file and line are those of its own PC, as in
     * runtime.CallersFrames. A PC from a stack is a return address: ask about {@code pc - 1}, as
     * the runtime does. Names are the linker's (a generic instantiation keeps its shape, which
     * Go's tracebacks print as "[...]"); inlined wrappers are kept, with kind "wrapper". Empty
     * outside the table.
     */
    public List<Frame> frames(long pc) throws ElfFormatException {
        int i = find(pc);
        if (i < 0) {
            return List.of();
        }
        Func fn = func(i);
        List<Frame> out = new ArrayList<>(4);
        long at = pc;
        for (int ix = inlineIndex(fn, at); ix >= 0; ix = inlineIndex(fn, at)) {
            if (out.size() == MAX_INLINE_DEPTH) {
                throw new ElfFormatException("inline tree of " + fn.name + " is deeper than " + MAX_INLINE_DEPTH + " (a cycle?)");
            }
            InlinedCall call = inlinedCall(fn, ix);
            out.add(frame(fn, at, call.name, true, call.funcID));
            at = fn.entry + call.parentPc;
        }
        out.add(frame(fn, at, fn.name, false, fn.funcID));
        return List.copyOf(out);
    }

    /** The runtime's fields of the function holding {@code pc} (_func); empty outside the table. */
    public Optional<FuncInfo> funcInfo(long pc) throws ElfFormatException {
        int i = find(pc);
        if (i < 0) {
            return Optional.empty();
        }
        Func fn = func(i);
        return Optional.of(new FuncInfo(fn.name, fn.entry, entry(i + 1), fn.funcID, funcIdName(fn.funcID), fn.flag,
                fn.args, fn.deferreturn, fn.startLine));
    }

    /**
     * The SP delta at {@code pc} from its function's pcsp table (runtime.funcspdelta): how many
     * bytes the function has pushed below its entry SP there, i.e. its frame size at that PC
     * (without the return address a CALL pushed on amd64). -1 outside the table, as Go answers.
     */
    public int spDelta(long pc) throws ElfFormatException {
        int i = find(pc);
        if (i < 0) {
            return -1;
        }
        Func fn = func(i);
        if (fn.sp == null) {
            fn.sp = decode(tab.getInt(fn.off + fieldShift + 16), fn.entry);
        }
        return fn.sp.valueAt(pc);
    }

    /**
     * Up to {@code maxLen} bytes of funcdata {@code index} of the function holding {@code pc}
     * (fewer where the file ends first); empty when the function has no such funcdata or the
     * PC is outside the table. Read from the file: funcdata lives in go:func.* (moduledata.gofunc),
     * so a stripped binary has it too.
     */
    public Optional<byte[]> funcdataBytes(long pc, int index, int maxLen) throws ElfFormatException {
        int i = find(pc);
        if (i < 0) {
            return Optional.empty();
        }
        long at = funcdata(func(i), index);
        if (at == 0) {
            return Optional.empty();
        }
        for (int len = maxLen; len > 0; len = len > 8 ? len / 2 : len - 1) {
            Optional<ByteBuffer> b = elf.readVirtual(at, len);
            if (b.isPresent()) {
                byte[] out = new byte[len];
                b.get().get(0, out);
                return Optional.of(out);
            }
        }
        return Optional.empty();
    }

    /**
     * The value of pcdata table {@code table} at {@code pc} (runtime.pcdatavalue): -1 where the
     * function has no such table or the table does not reach the PC, as the runtime answers.
     */
    public int pcdataValue(long pc, int table) throws ElfFormatException {
        int i = find(pc);
        if (i < 0) {
            return -1;
        }
        Func fn = func(i);
        if (table == PCDATA_INL_TREE_INDEX) {
            return inlineIndex(fn, pc);
        }
        if (fn.other == null) {
            fn.other = new java.util.HashMap<>(2);
        }
        PcTable t = fn.other.get(table);
        if (t == null) {
            t = decode(pcdata(fn, table), fn.entry);
            fn.other.put(table, t);
        }
        return t.valueAt(pc);
    }

    /**
     * The name the binary's Go release gives funcID {@code id} ("normal", "goexit", "wrapper",
     * "asyncPreempt", ... without the funcID_ / FuncID prefix), or "funcID N" when that release has
     * no such value. The numbering is read from the table itself ({@link #numbering}).
     */
    public String funcIdName(int id) {
        if (funcIds == null) {
            funcIds = numbering();
        }
        return id >= 0 && id < funcIds.size() ? funcIds.get(id) : "funcID " + id;
    }

    private Frame frame(Func fn, long at, String name, boolean inlined, int funcID) throws ElfFormatException {
        int fileIndex = fn.files.valueAt(at);
        String file = fileIndex < 0 ? "" : fn.fileName(fileIndex);
        return new Frame(name, file, fn.lines.valueAt(at), at, fn.entry, inlined, funcIdName(funcID));
    }

    /** The inline-tree index at pc (pcdata InlTreeIndex), -1 in the physical function's own code. */
    private int inlineIndex(Func fn, long pc) throws ElfFormatException {
        if (fn.inl == null) {
            fn.inl = decode(pcdata(fn, PCDATA_INL_TREE_INDEX), fn.entry);
        }
        return fn.inl.valueAt(pc);
    }

    /**
     * Entry {@code ix} of the function's funcdata InlTree, an inlinedCall (runtime/symtab.go in
     * 1.19, runtime/symtabinl.go in 1.21-1.26). Format 0xfffffff0 (20 bytes): parent int16, funcID
     * uint8, pad, file int32, line int32, func_ int32 (funcnametab offset), parentPc int32; the
     * runtime uses only funcID, func_ and parentPc. Format 0xfffffff1 (16 bytes): funcID uint8, pad
     * [3], nameOff int32, parentPc int32, startLine int32. (1.18 and 1.20, whose sources were not
     * at hand, are taken to be laid out as 1.19 and 1.21: each shares its format's _func.)
     */
    private InlinedCall inlinedCall(Func fn, int ix) throws ElfFormatException {
        long base = funcdata(fn, FUNCDATA_INL_TREE);
        if (base == 0) {
            throw new ElfFormatException(fn.name + " has inline-tree PC data but no inline tree");
        }
        int size = magic == GO_1_20 ? 16 : 20;
        long at = base + (long) ix * size;
        ByteBuffer b = elf.readVirtual(at, size).orElseThrow(() -> new ElfFormatException(
                String.format("inline tree entry %d of %s at 0x%x lies outside the file", ix, fn.name, at)));
        int funcID = Byte.toUnsignedInt(b.get(magic == GO_1_20 ? 0 : 2));
        int nameOff = b.getInt(magic == GO_1_20 ? 4 : 12);
        int parentPc = b.getInt(magic == GO_1_20 ? 8 : 16);
        if (parentPc < 0 || parentPc >= fn.size) {
            throw new ElfFormatException("inline tree entry " + ix + " of " + fn.name + ": parent PC offset " + parentPc
                    + " outside the function");
        }
        return new InlinedCall(nameOff == 0 ? "" : funcName(nameOff), funcID, parentPc);
    }

    private record InlinedCall(String name, int funcID, int parentPc) {}

    /** Offset into pctab of the function's pcdata table {@code table}; 0 (no table) past npcdata. */
    private int pcdata(Func fn, int table) throws ElfFormatException {
        if (Integer.compareUnsigned(table, fn.npcdata) >= 0) {
            return 0;
        }
        long at = fn.off + funcSize + table * 4L;
        if (!fits(at, 4)) {
            throw new ElfFormatException("pcdata of " + fn.name + " runs past .gopclntab");
        }
        return tab.getInt((int) at);
    }

    /**
     * Address of funcdata {@code i} of the function, 0 when it has none: a uint32 offset from
     * moduledata.gofunc after the pcdata offsets, ^0 for none (runtime.funcdata).
     */
    private long funcdata(Func fn, int i) throws ElfFormatException {
        if (i >= fn.nfuncdata) {
            return 0;
        }
        if (magic == GO_1_16) {
            // Pointers after the pcdata offsets, 8-aligned in memory (runtime.funcdata, Go 1.16/1.17).
            long p = fn.off + funcSize + Integer.toUnsignedLong(fn.npcdata) * 4L;
            if (((tabAddress + p) & 4) != 0) {
                p += 4;
            }
            long at = p + i * 8L;
            if (!fits(at, 8)) {
                throw new ElfFormatException("funcdata of " + fn.name + " runs past .gopclntab");
            }
            return tab.getLong((int) at);
        }
        long at = fn.off + funcSize + (Integer.toUnsignedLong(fn.npcdata) + i) * 4L;
        if (!fits(at, 4)) {
            throw new ElfFormatException("funcdata of " + fn.name + " runs past .gopclntab");
        }
        int off = tab.getInt((int) at);
        if (off == -1) {
            return 0;
        }
        long base = gofunc();
        if (base == 0) {
            throw new ElfFormatException("no moduledata to take go:func.* from: cannot read funcdata of " + fn.name);
        }
        return base + Integer.toUnsignedLong(off);
    }

    /**
     * moduledata.gofunc, the start of go:func.*, which funcdata offsets are relative to
     * (runtime.funcdata); 0 when not found. Found without a symbol table, so also in binaries built
     * with -ldflags=-s -w: the linker writes the module's moduledata (runtime.firstmoduledata) into
     * .noptrdata, from Go 1.26 into a section of its own, .go.module; its first word is the
     * pcHeader's address, that of .gopclntab, and the next slices' data pointers are the
     * pcHeader's funcnametab, cutab and filetab. The first 8-aligned place in those sections
     * (.data too) holding all four is moduledata, and gofunc is the word {@link ModuledataWords}
     * names (checked against the symbol on each release the tests build). In a
     * position-independent binary these words are dynamic relocations, read as the loader would
     * write them ({@link ElfFile#word}). The symbol go:func.* (go.func.* before 1.20) in .symtab
     * is the fallback.
     */
    long gofunc() throws ElfFormatException {
        if (gofunc >= 0) {
            return gofunc;
        }
        int word = moduledataWords().gofunc();
        long base = word < 0 ? 0 : moduledataWord(word);
        if (base != 0) {
            if (elf.readVirtual(base, 1).isEmpty()) {
                throw new ElfFormatException(String.format("moduledata.gofunc 0x%x is outside the file", base));
            }
            gofunc = base;
            return base;
        }
        var syms = elf.symbols(List.of("go:func.*", "go.func.*"));
        ElfFile.Symbol sym = syms.getOrDefault("go:func.*", syms.get("go.func.*"));
        gofunc = sym != null && elf.readVirtual(sym.value(), 1).isPresent() ? sym.value() : 0;
        return gofunc;
    }

    /**
     * Word {@code word} of the module's moduledata as the file holds it, 0 when no moduledata is
     * found (see {@link #gofunc}: located by its first words, which point into this table).
     */
    private long moduledataWord(int word) throws ElfFormatException {
        if (moduledata == null) {
            moduledata = ByteBuffer.allocate(0);
            ModuledataWords at = moduledataWords();
            int span = at.span();
            for (String name : MODULEDATA_SECTIONS) {
                Optional<ElfFile.Section> s = elf.section(name);
                if (s.isEmpty()) {
                    continue;
                }
                // A PIE's moduledata holds its pointers only as relocations: read it as loaded.
                long[] words = elf.words(s.get());
                for (int i = 0; i + span <= words.length; i++) {
                    if (words[i + at.pcHeader()] == tabAddress && words[i + at.funcnametab()] == tabAddress + funcnameOff
                            && words[i + at.cutab()] == tabAddress + cuOff && words[i + at.filetab()] == tabAddress + filetabOff) {
                        moduledata = ByteBuffer.allocate(span * 8).order(ByteOrder.LITTLE_ENDIAN);
                        for (int w = 0; w < span; w++) {
                            moduledata.putLong(w * 8, words[i + w]);
                        }
                        return word * 8 + 8 <= moduledata.limit() ? moduledata.getLong(word * 8) : 0;
                    }
                }
            }
        }
        return word * 8 + 8 <= moduledata.limit() ? moduledata.getLong(word * 8) : 0;
    }

    /**
     * Which of moduledata's words hold the fields read here: as the binary's own DWARF lays out
     * runtime.moduledata, else as this table's format does ({@link ModuledataWords#forFormat}). A
     * damaged or absent DWARF costs nothing here: the format's positions are the same, held to
     * every release's DWARF by LayoutDriftTest.
     */
    public ModuledataWords moduledataWords() {
        if (moduledataWords == null) {
            moduledataWords = moduledataFromDwarf().orElseGet(() -> ModuledataWords.forFormat(magic));
        }
        return moduledataWords;
    }

    private Optional<ModuledataWords> moduledataFromDwarf() {
        try {
            Optional<Dwarf> dwarf = Dwarf.of(elf);
            if (dwarf.isEmpty()) {
                return Optional.empty();
            }
            StructType t = DwarfScan.scan(dwarf.get(), "runtime", Set.of(MODULEDATA), Set.of(), List.of())
                    .structs().get(MODULEDATA);
            return t == null ? Optional.empty() : ModuledataWords.fromDwarf(t);
        } catch (ElfFormatException e) {
            return Optional.empty();   // a damaged DWARF: the format's positions
        }
    }

    private static final String MODULEDATA = "runtime.moduledata";

    /** Where the linker puts moduledata: .go.module from Go 1.26, .noptrdata before; .data too. */
    private static final List<String> MODULEDATA_SECTIONS = List.of(".go.module", ".noptrdata", ".data");

    /**
     * The funcID numbering this table uses, told by the table: the compiler gives runtime.goexit
     * and runtime.main their funcIDs by name (cmd/internal/objabi/funcid.go), so the numbers they
     * carry name the enum of the release that built it. goexit is 7 in the 1.18 numbering and 8
     * once 1.22 inserted corostart before it; runtime.main is 18 in the 1.22 numbering and 17
     * once 1.25 dropped runfinq before it (runFinalizers and runCleanups come after it). Where
     * neither tells (a damaged table), the newest numbering of the table's format: a damaged
     * table costs only the names.
     */
    private List<String> numbering() {
        if (magic == GO_1_16) {
            return List.of();   // 1.16/1.17 numbering: their sources were not at hand to read it from
        }
        try {
            for (List<String> ids : List.of(FUNC_IDS_1_25, FUNC_IDS_1_22, FUNC_IDS_1_18)) {
                if (carries("runtime.goexit", ids.indexOf("goexit")) && carries("runtime.main", ids.indexOf("runtime_main"))) {
                    return ids;
                }
            }
        } catch (ElfFormatException | IndexOutOfBoundsException e) {
            // damaged: the format's newest numbering below
        }
        return magic == GO_1_20 ? FUNC_IDS_1_25 : FUNC_IDS_1_18;
    }

    /** Whether the function named {@code name} is in the table with funcID {@code id}. */
    private boolean carries(String name, int id) throws ElfFormatException {
        java.util.OptionalInt i = function(name);
        return i.isPresent() && func(i.getAsInt()).funcID == id;
    }

    /**
     * A function's name and decoded line and file tables, made on first use and kept: a goroutine
     * dump asks about the same few functions again and again, and decoding is most of a lookup.
     */
    private Func func(int i) throws ElfFormatException {
        Func fn = funcs[i];
        if (fn == null) {
            int f = funcOffset(i);
            int x = f + fieldShift;
            long entry = magic == GO_1_16 ? tab.getLong(f) : textStart + Integer.toUnsignedLong(tab.getInt(f));
            fn = new Func(this, f, cString(funcnameOff + tab.getInt(x + 4)), entry, entry(i + 1) - entry,
                    decode(tab.getInt(x + 24), entry), decode(tab.getInt(x + 20), entry), tab.getInt(x + 32));
            // _func after the entry: nameoff, args, deferreturn, pcsp, pcfile, pcln, npcdata,
            // cuOffset (4 bytes each); startLine from Go 1.20; then funcID, flag (from 1.17), a
            // pad byte and nfuncdata end it (runtime/runtime2.go).
            fn.args = tab.getInt(x + 8);
            fn.deferreturn = Integer.toUnsignedLong(tab.getInt(x + 12));
            fn.npcdata = tab.getInt(x + 28);
            fn.startLine = magic == GO_1_20 ? tab.getInt(f + 36) : 0;
            fn.funcID = Byte.toUnsignedInt(tab.get(f + funcSize - 4));
            fn.flag = Byte.toUnsignedInt(tab.get(f + funcSize - 3));
            fn.nfuncdata = Byte.toUnsignedInt(tab.get(f + funcSize - 1));
            funcs[i] = fn;
        }
        return fn;
    }

    private static final class Func {
        final Pclntab owner;
        /** Offset of the _func in the table. */
        final int off;
        final String name;
        final long entry;
        final long size;
        final PcTable lines;
        final PcTable files;
        final int cu;
        String[] fileNames;
        int args;
        long deferreturn;
        int npcdata;
        int startLine;
        int funcID;
        int flag;
        int nfuncdata;
        /** pcsp and pcdata InlTreeIndex, decoded on first use. */
        PcTable sp;
        PcTable inl;
        /** Other pcdata tables by index (ArgLiveIndex), decoded on first use. */
        java.util.Map<Integer, PcTable> other;

        Func(Pclntab owner, int off, String name, long entry, long size, PcTable lines, PcTable files, int cu) {
            this.owner = owner;
            this.off = off;
            this.name = name;
            this.entry = entry;
            this.size = size;
            this.lines = lines;
            this.files = files;
            this.cu = cu;
        }

        String fileName(int index) throws ElfFormatException {
            if (fileNames != null && index < fileNames.length && fileNames[index] != null) {
                return fileNames[index];
            }
            // Read it first: that checks the index against the CU table before the cache grows to it.
            String name = owner.fileName(cu, index);
            if (fileNames == null || index >= fileNames.length) {
                fileNames = java.util.Arrays.copyOf(fileNames == null ? new String[0] : fileNames, index + 1);
            }
            fileNames[index] = name;
            return name;
        }
    }

    /** A decoded pc-value table: value {@code values[k]} holds for PCs below {@code ends[k]}. */
    private record PcTable(long[] ends, int[] values) {
        static final PcTable EMPTY = new PcTable(new long[0], new int[0]);

        int valueAt(long pc) {
            int k = java.util.Arrays.binarySearch(ends, pc);
            k = k >= 0 ? k + 1 : -k - 1;   // the first end above pc
            return k < ends.length ? values[k] : -1;
        }
    }

    /** Binary search of the function table: the last function whose entry is <= pc. */
    private int find(long pc) {
        if (nfunc == 0 || pc < entry(0) || pc >= entry(nfunc)) {
            return -1;
        }
        int lo = 0;
        int hi = nfunc - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (entry(mid) <= pc) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }

    private int funcOffset(int i) throws ElfFormatException {
        long off = pclnOff + (magic == GO_1_16 ? tab.getLong(pclnOff + i * 16 + 8) : Integer.toUnsignedLong(tab.getInt(pclnOff + i * 8 + 4)));
        if (!fits(off, funcSize)) {
            throw new ElfFormatException("_func " + i + " lies outside .gopclntab");
        }
        return (int) off;
    }

    /**
     * Decodes a pc-value table: a sequence of (zig-zag value delta, pc delta / quantum) varint
     * pairs from value -1 at the entry; a zero value delta after the first pair ends it
     * (runtime.step). Bounded by the section, and by MAX_STEPS.
     */
    private PcTable decode(int tableOff, long entry) throws ElfFormatException {
        if (tableOff == 0) {
            return PcTable.EMPTY;
        }
        int p = pctabOff + tableOff;
        long pc = entry;
        int val = -1;
        long[] ends = new long[16];
        int[] values = new int[16];
        int n = 0;
        for (boolean first = true; ; first = false) {
            long[] uv = varint(p);
            p = (int) uv[1];
            if (uv[0] == 0 && !first) {
                return new PcTable(java.util.Arrays.copyOf(ends, n), java.util.Arrays.copyOf(values, n));
            }
            int d = (int) uv[0];
            long[] pd = varint(p);
            p = (int) pd[1];
            pc += pd[0] * minLC;
            val += (d & 1) != 0 ? ~(d >>> 1) : d >>> 1;
            if (n == MAX_STEPS) {
                throw new ElfFormatException("pc-value table longer than " + MAX_STEPS + " steps");
            }
            if (n == ends.length) {
                ends = java.util.Arrays.copyOf(ends, n * 2);
                values = java.util.Arrays.copyOf(values, n * 2);
            }
            ends[n] = pc;
            values[n] = val;
            n++;
        }
    }

    private boolean equalsAt(int at, byte[] want) {
        for (int k = 0; k < want.length; k++) {
            if (tab.get(at + k) != want[k]) {
                return false;
            }
        }
        return true;
    }

    private String funcName(int nameOff) throws ElfFormatException {
        if (nameOff < 0) {
            throw new ElfFormatException("function name offset " + nameOff + " is negative");
        }
        return cString((long) funcnameOff + nameOff);
    }

    private String fileName(int cu, int fileIndex) throws ElfFormatException {
        long at = cuOff + (Integer.toUnsignedLong(cu) + fileIndex) * 4L;
        if (!fits(at, 4)) {
            throw new ElfFormatException("file index outside the CU table");
        }
        int off = tab.getInt((int) at);
        return off == -1 ? "" : cString(filetabOff + off);
    }

    /** An unsigned LEB128 value at {@code p}: {value, next offset}. */
    private long[] varint(int p) throws ElfFormatException {
        long v = 0;
        for (int shift = 0; shift < 35; shift += 7) {
            if (!fits(p, 1)) {
                throw new ElfFormatException("varint runs past .gopclntab");
            }
            byte b = tab.get(p++);
            v |= (long) (b & 0x7f) << shift;
            if ((b & 0x80) == 0) {
                return new long[] {v, p};
            }
        }
        throw new ElfFormatException("varint longer than 5 bytes in .gopclntab");
    }

    private String cString(long off) throws ElfFormatException {
        if (!fits(off, 1)) {
            throw new ElfFormatException("name offset outside .gopclntab");
        }
        int end = (int) off;
        while (end < tab.limit() && tab.get(end) != 0) {
            end++;
        }
        byte[] b = new byte[end - (int) off];
        tab.get((int) off, b);
        return new String(b, StandardCharsets.UTF_8);
    }

    private int offset(int headerField) throws ElfFormatException {
        long v = tab.getLong(headerField);
        if (v < 0 || v >= tab.limit()) {
            throw new ElfFormatException(".gopclntab header offset " + v + " outside the section");
        }
        return (int) v;
    }

    private boolean fits(long off, long len) {
        return off >= 0 && len >= 0 && off + len <= tab.limit();
    }

    /** Where a PC is: its function (name and entry) and source position. */
    public record SourceLine(String function, long entry, String file, int line) {}

    /**
     * One logical frame at a PC, as runtime.CallersFrames reports it.
     *
     * @param function the function's name: the inlined callee's, or the physical function's
     * @param file     source file of {@code pc}; "" past the function's tables (as {@link #lookup}
     *                 answers; Go's runtime says "?")
     * @param line     source line of {@code pc}; -1 past the tables (Go's runtime: 0)
     * @param pc       the PC this frame's position is of: the PC asked about for the innermost
     *                 frame, the call site (entry + parentPc) for a frame that inlined the one
     *                 before it (Go's Frame.PC)
     * @param entry    entry of the physical function, the same for all frames of one PC
     * @param inlined  true for an inlined call, false for the physical function (the last frame)
     * @param kind     the funcID's name as that Go release numbers them ("normal", "wrapper", ...)
     */
    public record Frame(String function, String file, int line, long pc, long entry, boolean inlined, String kind) {}

    /**
     * A function's runtime fields (_func).
     *
     * @param end         entry of the next function: the function spans [entry, end)
     * @param funcID      the raw funcID byte; its meaning depends on the Go release
     * @param kind        its name in that release ({@link #funcIdName(int)})
     * @param flags       abi.FuncFlag bits: {@link #TOPFRAME}, {@link #SPWRITE}, {@link #ASM}
     * @param args        size of the in/out arguments, as the runtime records it
     * @param deferreturn offset from entry of the call to runtime.deferreturn, 0 for none
     * @param startLine   line of the func keyword or TEXT directive; 0 before Go 1.20
     */
    public record FuncInfo(String name, long entry, long end, int funcID, String kind, int flags, int args,
                           long deferreturn, int startLine) {
        /** FuncFlagTopFrame: the function is the top of a stack (goexit, mstart, rt0_go...). */
        public static final int TOPFRAME = 1;
        /** FuncFlagSPWrite: writes SP other than by a constant; unwinding stops there. */
        public static final int SPWRITE = 2;
        /** FuncFlagAsm: written in assembly. */
        public static final int ASM = 4;

        /** Whether the funcID is {@code kind} in this binary's numbering: is("goexit"), is("wrapper"), ... */
        public boolean is(String kind) {
            return this.kind.equals(kind);
        }

        public boolean topFrame() {
            return (flags & TOPFRAME) != 0;
        }

        public boolean spWrite() {
            return (flags & SPWRITE) != 0;
        }

        public boolean asm() {
            return (flags & ASM) != 0;
        }
    }
}
