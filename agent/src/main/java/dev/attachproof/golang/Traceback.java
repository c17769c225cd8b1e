package dev.attachproof.golang;

import dev.attachproof.elf.ElfFormatException;
import dev.attachproof.memory.MemoryReader;
import dev.attachproof.pclntab.Pclntab;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A goroutine's stack as Go's own traceback prints it (runtime/traceback.go: traceback2,
 * showframe, printcreatedby), computed from outside: the physical frames from an {@link
 * Unwinder} (the CPU's frame rules), then Go's printing policy on them: the same inline
 * expansion, the same frames hidden (runtime internals, elided wrappers), the same "created by",
 * the release's way of shortening a deep stack ({@link Elision}, from {@link GoRuntime#elision()}),
 * and each physical frame's argument words ({@link ArgWords}), read per goroutine from its own
 * stack while the frames themselves are worked out once per distinct chain of PCs.
 */
public final class Traceback {
    /** Go 1.21+ prints the innermost 50 and the outermost 50 frames; earlier releases the first 100. */
    public static final int INNER_FRAMES = 50;
    static final int OUTER_FRAMES = 50;

    private final Pclntab tab;
    private final long bias;
    /** null in a traceback that only names ({@link #forNames}). */
    private final Unwinder unwinder;
    private final Elision elision;
    /** null in a traceback that only names. */
    private final ArgWords argWords;
    private final Arch arch;

    /**
     * How Go's traceback shortens a stack too deep to print whole: the rule changed in Go 1.21
     * (runtime/traceback.go's rewrite around the unwinder), and {@link GoRuntime} says which a
     * target follows.
     */
    public enum Elision {
        /** Before 1.21: gentraceback visits the first 100 physical frames, hidden ones included. */
        FIRST_100_FRAMES,
        /** 1.21 on: the innermost 50 and the outermost 50 printed frames, "...N frames elided..." between. */
        INNER_AND_OUTER_50;

        /**
         * The PC whose ArgLiveIndex marks a frame's words with {@code ?}, which the same rewrite
         * changed: before 1.21 gentraceback passed printArgs its tracepc after the inline loop,
         * the physical function's own call site of the outermost inlined call; from 1.21
         * traceback2 passes u.symPC(), the frame's PC backed up into the CALL, inlined or not.
         */
        boolean livenessAtInlineCallSite() {
            return this == FIRST_100_FRAMES;
        }
    }

    /**
     * @param bias    the load bias of a PIE: run-time PCs are the table's plus this
     * @param arch    how a frame finds its caller on the target's CPU
     * @param elision how the target's release shortens a deep stack
     */
    public Traceback(MemoryReader mem, Pclntab tab, long bias, Arch arch, Elision elision) {
        this.tab = tab;
        this.bias = bias;
        this.unwinder = new Unwinder(mem, tab, bias, arch);
        this.elision = java.util.Objects.requireNonNull(elision);
        this.argWords = new ArgWords(tab, mem);
        this.arch = arch;
    }

    private Traceback(Pclntab tab, long bias) {
        this.tab = tab;
        this.bias = bias;
        this.unwinder = null;
        this.elision = null;
        this.argWords = null;
        this.arch = null;
    }

    /**
     * A traceback that only names what pclntab names (start functions, system goroutines,
     * creators) and reads no stack, so it needs no CPU: what a census of an arm64 binary may use.
     */
    public static Traceback forNames(Pclntab tab, long bias) {
        return new Traceback(tab, bias);
    }

    /**
     * One printed frame.
     *
     * @param function as Go prints it (generic shapes as "[...]", runtime.gopanic as "panic")
     * @param pc       the physical frame's PC (run-time address); {@code offset} is pc - entry
     * @param hasArgs  whether Go would print arguments between the parentheses (the function has
     *                 an ArgInfo program)
     * @param args     what Go prints between the parentheses: "..." for an inlined frame, the
     *                 argument words of a physical one ({@link ArgWords}: "0xc000080120, 0x0?"),
     *                 "" for a function without arguments; "..." too where the words could not be
     *                 read (they lie outside the memory copied)
     */
    public record Frame(String function, String file, int line, long pc, long offset, boolean inlined, boolean hasArgs,
                        String args) {
        Frame withArgs(String words) {
            return new Frame(function, file, line, pc, offset, inlined, hasArgs, words);
        }

        /** The frame with "..." for its words where it has any: what a group of goroutines whose words differ shares. */
        public Frame withoutArgs() {
            return hasArgs ? withArgs("...") : this;
        }
    }

    /**
     * "created by F" and where: the go statement; one object per site, shared by the goroutines
     * it created (the "in goroutine N" is each goroutine's parentId).
     */
    public record CreatedBy(String function, String file, int line, long pc, long offset) {}

    /**
     * A frame as Go's goroutine profile records it, runtime frames included.
     *
     * @param symbol the function's symbol name, as runtime/pprof names functions
     *               (runtime_FrameSymbolName: "runtime.gopanic", a generic's shape as the binary names it)
     * @param pc     the PC its physical frame is looked up at (a return address backed up into the
     *               CALL, as traceback.go's symPC does): the address Go's profile gives its location
     */
    public record RecordedFrame(String symbol, String file, int line, long pc, boolean inlined) {}

    /**
     * The printed frames and, when the unwinding stopped on something it could not read, why
     * ({@code stopped}, else null). {@code elided} frames were left out of the middle (Go 1.21+)
     * or the end (older releases), as Go leaves them out. {@code recorded} are the frames Go's
     * goroutine profile records of the same stack (runtime/traceback.go tracebackPCs, 1.21+, and
     * gentraceback's pcbuf branch before): every frame, runtime ones included, wrappers elided as
     * the text elides them, innermost first, runtime.goexit included and no depth limit applied
     * (runtime/pprof drops the one, runtime/mprof.go's saveg applies the other).
     */
    public record Stack(List<Frame> frames, int elided, String stopped, String elisionLine, int elisionAt,
                        List<RecordedFrame> recorded) {
        public Stack(List<Frame> frames, int elided, String stopped) {
            this(frames, elided, stopped, null, -1, List.of());
        }

        Stack withRecorded(List<RecordedFrame> recorded) {
            return new Stack(frames, elided, stopped, elisionLine, elisionAt, List.copyOf(recorded));
        }
    }

    /** Before Go 1.21, gentraceback visited at most 100 physical frames, hidden ones included. */
    static final int MAX_FRAMES_BEFORE_121 = 100;

    /**
     * The stack from a PC and SP that are a saved pair (a return address and the SP it returns
     * to: g.sched, g.syscallpc and syscallsp), with {@code lr} the saved link register
     * (g.sched.lr; 0 for a syscall's pair, and on a CPU without one).
     */
    public Stack unwind(long pc, long sp, long lr) {
        return stack(pc, sp, lr, false);
    }

    /**
     * The stack from a thread's registers: its PC is the next instruction, not a return address;
     * {@code lr} is its link register (0 on a CPU without one).
     */
    public Stack unwindTrap(long pc, long sp, long lr) {
        return stack(pc, sp, lr, true);
    }

    /**
     * Unwinds in two passes: first the chain of physical PCs (a few memory reads and cached
     * lookups a frame), then the printed frames for that chain, made once per distinct chain: the
     * 100,000 goroutines of a busy server stand in a handful of distinct stacks.
     */
    private Stack stack(long pc, long sp, long lr, boolean trap) {
        if (unwinder == null) {
            throw new IllegalStateException("a traceback made for names cannot unwind");
        }
        Unwinder.Chain key = unwinder.chain(pc, sp, lr, trap);
        Template known = stacks.get(key);
        if (known == null) {
            known = frames(key);
            stacks.put(key, known);
        }
        return withArgs(known, key);
    }

    private final java.util.HashMap<Unwinder.Chain, Template> stacks = new java.util.HashMap<>();

    /**
     * A chain's printed frames without their argument words, where each frame's words are, and
     * the stacks printed so far from it by their words' values ({@code byWords}): the goroutines
     * parked in one place mostly hold the same words too, and then share one {@link Stack}.
     */
    private record Template(Stack stack, List<WordsAt> words, boolean hasWords, WordsMap<Stack> byWords) {
        Template(Stack stack, List<WordsAt> words) {
            this(stack, words, words.stream().anyMatch(w -> w.depth() >= 0), new WordsMap<>());
        }
    }

    /**
     * Where a printed frame's words come from: the physical frame at {@code depth} of the chain
     * (its argp), the function entered at {@code entry}, marked by the liveness at {@code livePc}
     * (link-time); depth -1 for a frame without words (inlined, or a function without an ArgInfo
     * program).
     */
    private record WordsAt(int depth, long livePc, long entry) {
        static final WordsAt NONE = new WordsAt(-1, 0, 0);
    }

    /** Frames with the same words are one object: the writers format each distinct frame once. */
    private final java.util.HashMap<Frame, Frame> frameInterned = new java.util.HashMap<>();

    /**
     * The most stacks a template keeps by their words: where words differ in every goroutine (a
     * pointer each), the rest are made as they come, as before the map, rather than each kept
     * with a copy of its words (at 1,000,000 goroutines, tens of MB for nothing shared).
     */
    private static final int MAX_STACKS_BY_WORDS = 4_096;

    /** The values of one goroutine's words, frame after frame, and where each printed frame's words start: reused. */
    private long[] wordValues = new long[4 * ArgWords.MAX_WORDS];
    private int[] wordStarts = new int[8];

    /**
     * The template's frames with this goroutine's argument words, read from its stack: the stack
     * an earlier goroutine with the same words got, else a new one.
     */
    private Stack withArgs(Template t, Unwinder.Chain chain) {
        if (!t.hasWords()) {
            return t.stack();
        }
        List<WordsAt> words = t.words();
        if (wordStarts.length < words.size() + 1) {
            wordStarts = new int[words.size() + 1];
        }
        int n = 0;
        try {
            for (int i = 0; i < words.size(); i++) {
                wordStarts[i] = n;
                WordsAt w = words.get(i);
                if (w.depth() >= 0) {
                    if (wordValues.length < n + ArgWords.MAX_WORDS) {
                        wordValues = java.util.Arrays.copyOf(wordValues, 2 * (n + ArgWords.MAX_WORDS));
                    }
                    n = argWords.values(w.entry(), chain.fps()[w.depth()] + arch.minFrameSize(), wordValues, n);
                }
            }
        } catch (ElfFormatException | MemoryReader.MemoryReadException e) {
            return withArgsFrameByFrame(t, chain);   // "..." for the frames whose words cannot be read
        }
        wordStarts[words.size()] = n;
        Stack known = t.byWords().get(wordValues, n);
        if (known == null) {
            List<Frame> frames = t.stack().frames();
            List<Frame> out = new ArrayList<>(frames.size());
            for (int i = 0; i < frames.size(); i++) {
                WordsAt w = words.get(i);
                String text;
                try {
                    text = w.depth() < 0 ? null : argWords.text(w.entry(), w.livePc(), wordValues, wordStarts[i]);
                } catch (ElfFormatException e) {
                    text = "...";
                }
                out.add(text == null ? frames.get(i) : interned(frames.get(i), text));
            }
            known = withFrames(t.stack(), out);
            if (t.byWords().size() < MAX_STACKS_BY_WORDS) {
                t.byWords().put(wordValues, n, known);
            }
        }
        return known;
    }

    /** As {@link #withArgs}, each frame's words read on their own: a frame whose words cannot be read prints "...". */
    private Stack withArgsFrameByFrame(Template t, Unwinder.Chain chain) {
        List<Frame> frames = t.stack().frames();
        List<Frame> out = new ArrayList<>(frames.size());
        for (int i = 0; i < frames.size(); i++) {
            Frame f = frames.get(i);
            WordsAt w = t.words().get(i);
            if (w.depth() >= 0) {
                String text;
                try {
                    argWords.values(w.entry(), chain.fps()[w.depth()] + arch.minFrameSize(), wordValues, 0);
                    text = argWords.text(w.entry(), w.livePc(), wordValues, 0);
                } catch (ElfFormatException | MemoryReader.MemoryReadException e) {
                    text = "...";
                }
                f = interned(f, text);
            }
            out.add(f);
        }
        return withFrames(t.stack(), out);
    }

    private Frame interned(Frame template, String words) {
        return frameInterned.computeIfAbsent(template.withArgs(words), x -> x);
    }

    private static Stack withFrames(Stack s, List<Frame> frames) {
        return new Stack(List.copyOf(frames), s.elided(), s.stopped(), s.elisionLine(), s.elisionAt(), s.recorded());
    }

    /** The printed frames of a chain, by Go's rules (traceback2, showframe, the elisions). */
    private Template frames(Unwinder.Chain chain) {
        List<Frame> shown = new ArrayList<>();
        List<Frame> everyFrame = new ArrayList<>();   // for a stack Go would print nothing of (below)
        List<WordsAt> shownWords = new ArrayList<>();
        List<WordsAt> everyWords = new ArrayList<>();
        List<RecordedFrame> recorded = new ArrayList<>();
        int everyInFirst100 = -1;
        int shownInFirst100 = -1;   // shown frames among the first 100 physical ones (the pre-1.21 limit)
        String stopped = chain.stopped();
        String calleeKind = "normal";
        boolean trapPc = chain.trap();
        try {
            for (int depth = 0; depth < chain.pcs().length; depth++) {
                if (depth == MAX_FRAMES_BEFORE_121) {
                    shownInFirst100 = shown.size();
                    everyInFirst100 = everyFrame.size();
                }
                long linkPc = chain.pcs()[depth];
                Pclntab.FuncInfo f = unwinder.pcInfo(linkPc).f();
                // A saved PC is a return address: back up into the CALL for its line (Go's symPC),
                // unless it is where a trap stopped: the thread's own PC, or the frame an injected
                // call (sigpanic, asyncPreempt, debugCallV2) interrupted.
                boolean back = linkPc > f.entry() && !trapPc;
                long symPc = (back ? linkPc - 1 : linkPc) + bias;
                List<Candidate> cs = candidates(f, linkPc, back);
                // printArgs' pc: symPC from 1.21; before, the physical frame's own position.
                long livePc = elision.livenessAtInlineCallSite() ? cs.getLast().sitePc() : symPc - bias;
                for (Candidate c : cs) {
                    String callee = calleeKind;
                    calleeKind = c.kind();
                    WordsAt words = c.frame().hasArgs() ? new WordsAt(depth, livePc, f.entry()) : WordsAt.NONE;
                    if (c.shown(shown.isEmpty(), callee)) {
                        shown.add(c.frame());
                        shownWords.add(words);
                    }
                    everyFrame.add(c.frame());
                    everyWords.add(words);
                    if (!c.elidedWrapper(callee)) {
                        Frame fr = c.frame();
                        recorded.add(new RecordedFrame(c.name(), fr.file(), fr.line(), symPc, fr.inlined()));
                    }
                }
                trapPc = f.is("sigpanic") || f.is("asyncPreempt") || f.is("debugCallV2");
            }
        } catch (ElfFormatException e) {
            stopped = e.getMessage();
        }
        if (chain.pcs().length > MAX_FRAMES_BEFORE_121 && shownInFirst100 < 0) {
            // Cut short by a damaged table before frame 100: what was shown is the first 100's share.
            shownInFirst100 = shown.size();
            everyInFirst100 = everyFrame.size();
        }
        if (shown.isEmpty()) {
            // Go prints a stack of runtime frames only in full rather than print nothing
            // (traceback1: "If that means we print nothing at all, repeat forcing all frames printed").
            shown = everyFrame;
            shownWords = everyWords;
            shownInFirst100 = everyInFirst100;
        }
        Stack printed = elision == Elision.INNER_AND_OUTER_50 ? elide121(shown, stopped)
                : elideBefore121(shown, shownInFirst100, stopped);
        // The kept frames are a head of shown and, past the elision, its tail.
        List<Frame> kept = printed.frames();
        int head = printed.elisionAt() >= 0 ? printed.elisionAt() : kept.size();
        List<WordsAt> keptWords = new ArrayList<>(kept.size());
        for (int i = 0; i < kept.size(); i++) {
            keptWords.add(shownWords.get(i < head ? i : shown.size() - (kept.size() - i)));
        }
        return new Template(printed.withRecorded(recorded), List.copyOf(keptWords));
    }

    /**
     * A logical frame at a PC before Go's rules decide whether it is shown: {@link #showFrame}
     * with what depends only on the frame worked out once.
     */
    private record Candidate(String name, String kind, Frame frame, long sitePc, boolean wrapper, boolean gopanic,
                             boolean visible) {
        /** @param sitePc the link-time PC of this logical frame's position (Pclntab.Frame's pc) */
        Candidate(String name, String kind, Frame frame, long sitePc) {
            this(name, kind, frame, sitePc, kind.equals("wrapper"), name.equals("runtime.gopanic"),
                    name.indexOf('.') >= 0 && (!name.startsWith("runtime.") || isExportedRuntime(name)));
        }

        boolean shown(boolean firstFrame, String calleeKind) {
            if (elidedWrapper(calleeKind)) {
                return false;
            }
            return (gopanic && !firstFrame) || visible;
        }

        /** A wrapper not calling a panic function: left out of tracebacks and profiles alike (elideWrapperCalling). */
        boolean elidedWrapper(String calleeKind) {
            return wrapper && !(calleeKind.equals("gopanic") || calleeKind.equals("sigpanic") || calleeKind.equals("panicwrap"));
        }
    }

    /** Per link-time PC, its logical frames: [0] at the PC, [1] backed up into the CALL. */
    private final LongMap<List<Candidate>[]> candidates = new LongMap<>();

    /** The logical frames at a physical frame's PC, backed up to the CALL or not. */
    private List<Candidate> candidates(Pclntab.FuncInfo f, long linkPc, boolean back) throws ElfFormatException {
        int k = back ? 1 : 0;
        List<Candidate>[] atPc = candidates.get(linkPc);
        if (atPc == null) {
            @SuppressWarnings("unchecked")
            List<Candidate>[] made = new List[2];
            atPc = made;
            candidates.put(linkPc, atPc);
        }
        if (atPc[k] == null) {
            long pc = linkPc + bias;
            List<Candidate> out = new ArrayList<>(2);
            for (Pclntab.Frame lf : tab.frames(back ? linkPc - 1 : linkPc)) {
                boolean words;
                try {
                    words = !lf.inlined() && argWords.has(f.entry());
                } catch (ElfFormatException e) {
                    words = true;   // a program that cannot be read: its words print as "..." (withArgs)
                }
                out.add(new Candidate(lf.function(), lf.kind(), new Frame(printName(lf.function()), lf.file(), lf.line(), pc,
                        pc - (f.entry() + bias), lf.inlined(), words, lf.inlined() ? "..." : words ? null : ""), lf.pc()));
            }
            atPc[k] = List.copyOf(out);
        }
        return atPc[k];
    }

    private static Stack elide121(List<Frame> frames, String stopped) {
        int max = INNER_FRAMES + OUTER_FRAMES;
        if (frames.size() <= max) {
            return new Stack(List.copyOf(frames), 0, stopped);
        }
        List<Frame> kept = new ArrayList<>(frames.subList(0, INNER_FRAMES));
        kept.addAll(frames.subList(frames.size() - OUTER_FRAMES, frames.size()));
        int elided = frames.size() - max;
        return new Stack(List.copyOf(kept), elided, stopped, "..." + elided + " frames elided...", INNER_FRAMES, List.of());
    }

    /**
     * Before 1.21: what the first 100 physical frames show (gentraceback's max counts hidden
     * runtime frames too); "...additional frames elided..." only when exactly 100 were printed,
     * since gentraceback returned the printed count and traceback1 compared it with 100.
     */
    private static Stack elideBefore121(List<Frame> frames, int shownInFirst100, String stopped) {
        if (shownInFirst100 < 0) {
            return new Stack(List.copyOf(frames), 0, stopped);
        }
        List<Frame> kept = List.copyOf(frames.subList(0, shownInFirst100));
        String line = kept.size() == MAX_FRAMES_BEFORE_121 ? "...additional frames elided..." : null;
        return new Stack(kept, frames.size() - kept.size(), stopped, line, kept.size(), List.of());
    }

    /** What created {@code g}: empty for goroutine 1 and for creators Go would not show. */
    public Optional<CreatedBy> createdBy(Goroutine g) throws ElfFormatException {
        if (g.id() == 1) {
            return Optional.empty();
        }
        Optional<CreatedBy> site = creators.get(g.gopc());
        if (site == null) {
            site = creationSite(g.gopc());
            creators.put(g.gopc(), site);
        }
        return site;
    }

    private final LongMap<Optional<CreatedBy>> creators = new LongMap<>();
    private final LongMap<Boolean> systemStarts = new LongMap<>();

    private Optional<CreatedBy> creationSite(long gopc) throws ElfFormatException {
        long pc = gopc;
        long linkPc = pc - bias;
        Optional<Pclntab.FuncInfo> f = tab.funcInfo(linkPc);
        if (f.isEmpty() || !showFrame(f.get().name(), f.get().kind(), false, "normal")) {
            return Optional.empty();
        }
        long tracePc = linkPc > f.get().entry() ? linkPc - 1 : linkPc;
        Optional<Pclntab.SourceLine> at = tab.lookup(tracePc);
        return Optional.of(new CreatedBy(printName(f.get().name()), at.map(Pclntab.SourceLine::file).orElse("?"),
                at.map(Pclntab.SourceLine::line).orElse(0), pc, linkPc - f.get().entry()));
    }

    /** The function the goroutine started in (its startpc), as Go prints names; "" when unknown. */
    public String startFunction(Goroutine g) throws ElfFormatException {
        String name = startNames.get(g.startPc());
        if (name == null) {
            name = tab.funcInfo(g.startPc() - bias).map(f -> printName(f.name())).orElse("");
            startNames.put(g.startPc(), name);
        }
        return name;
    }

    private final LongMap<String> startNames = new LongMap<>();

    /**
     * Go's isSystemGoroutine: its start function is in package runtime, except runtime.main and
     * a few others; such goroutines are left out of Go's dumps. (The finalizer and cleanup
     * goroutines are counted as system ones: whether Go shows them depends on whether they are
     * running user code at that moment.)
     */
    public boolean isSystem(Goroutine g) throws ElfFormatException {
        Boolean known = systemStarts.get(g.startPc());
        if (known == null) {
            known = systemStart(g.startPc());
            systemStarts.put(g.startPc(), known);
        }
        return known;
    }

    private boolean systemStart(long startPc) throws ElfFormatException {
        Optional<Pclntab.FuncInfo> f = tab.funcInfo(startPc - bias);
        if (f.isEmpty()) {
            return false;
        }
        String kind = f.get().kind();
        if (kind.equals("runtime_main") || kind.equals("corostart") || kind.equals("handleAsyncEvent")) {
            return false;
        }
        return f.get().name().startsWith("runtime.");
    }

    /** Go's showfuncinfo at the default GOTRACEBACK level. */
    static boolean showFrame(String name, String kind, boolean firstFrame, String calleeKind) {
        if (kind.equals("wrapper") && !(calleeKind.equals("gopanic") || calleeKind.equals("sigpanic")
                || calleeKind.equals("panicwrap"))) {
            return false;
        }
        if (name.equals("runtime.gopanic") && !firstFrame) {
            return true;
        }
        return name.indexOf('.') >= 0 && (!name.startsWith("runtime.") || isExportedRuntime(name));
    }

    static boolean isExportedRuntime(String name) {
        String rest = name.substring("runtime.".length());
        String rcvr = "";
        int i = rest.lastIndexOf('.');
        if (i >= 0) {
            rcvr = rest.substring(0, i);
            rest = rest.substring(i + 1);
            if (rcvr.length() >= 3 && rcvr.startsWith("(*") && rcvr.endsWith(")")) {
                rcvr = rcvr.substring(2, rcvr.length() - 1);
            }
        }
        return !rest.isEmpty() && Character.isUpperCase(rest.charAt(0)) && rest.charAt(0) <= 'Z'
                && (rcvr.isEmpty() || (rcvr.charAt(0) >= 'A' && rcvr.charAt(0) <= 'Z'));
    }

    /** Go's printFuncName: runtime.gopanic as "panic", a generic shape's brackets as "[...]". */
    static String printName(String name) {
        if (name.equals("runtime.gopanic")) {
            return "panic";
        }
        int i = name.indexOf('[');
        int j = name.lastIndexOf(']');
        return i < 0 || j <= i ? name : name.substring(0, i) + "[...]" + name.substring(j + 1);
    }
}
