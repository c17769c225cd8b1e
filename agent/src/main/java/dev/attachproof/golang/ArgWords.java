package dev.attachproof.golang;

import dev.attachproof.elf.ElfFormatException;
import dev.attachproof.memory.MemoryReader;
import dev.attachproof.pclntab.Pclntab;

import java.util.Optional;

/**
 * The argument words Go prints between a physical frame's parentheses (runtime/traceback.go
 * printArgs, the same in every release from 1.19 to 1.26, read at each tag): the compiler's
 * program in funcdata ArgInfo (cmd/compile/internal/ssagen emitArgInfo) names, per word, its
 * offset from the frame's argp and its size; {@code {}/{@code }} bracket an aggregate's words,
 * {@code ...} says the limits (10 words or components, 5 levels) cut it, {@code _} stands for a
 * word whose offset does not fit the program's byte. Since the register ABI (1.18) a word may be
 * a spill slot the function has not written yet: funcdata ArgLiveInfo and pcdata ArgLiveIndex at
 * the frame's PC say which slots may be stale, and Go marks those with {@code ?}. Each value is
 * printed as runtime.printhex prints it: "0x" and lower-case hex digits, no leading zeros.
 * <p>
 * One per thread (it caches what each function's funcdata says).
 */
final class ArgWords {
    /** internal/abi: FUNCDATA_ArgInfo, FUNCDATA_ArgLiveInfo, PCDATA_ArgLiveIndex. */
    static final int FUNCDATA_ARG_INFO = 5;
    static final int FUNCDATA_ARG_LIVE_INFO = 6;
    static final int PCDATA_ARG_LIVE_INDEX = 3;
    /** abi.TraceArgs* (the constants printArgs declared itself in 1.19 to 1.22). */
    private static final int END_SEQ = 0xff;
    private static final int START_AGG = 0xfe;
    private static final int END_AGG = 0xfd;
    private static final int DOTDOTDOT = 0xfc;
    private static final int OFFSET_TOO_LARGE = 0xfb;
    /** abi.TraceArgsMaxLen: (maxDepth*3+2)*limit + 1, with limit 10 and maxDepth 5. */
    static final int MAX_LEN = (5 * 3 + 2) * 10 + 1;

    /** Bigger than any function's ArgLiveInfo (a few bytes per distinct set of live spill slots): bounds a damaged index. */
    private static final int MAX_LIVE_INFO = 1 << 20;

    private final Pclntab tab;
    private final MemoryReader mem;
    /** Per function entry (link-time): its program, or an empty one for a function without. */
    private final LongMap<Optional<byte[]>> programs = new LongMap<>();
    /** Per function entry: its ArgLiveInfo bytes as far as read, null when it has none. */
    private final LongMap<Optional<byte[]>> liveInfos = new LongMap<>();
    /** Per PC: its ArgLiveIndex (a function lookup and a table search, asked once per frame otherwise). */
    private final LongMap<Integer> liveIndexes = new LongMap<>();

    ArgWords(Pclntab tab, MemoryReader mem) {
        this.tab = tab;
        this.mem = mem;
    }

    /** Whether Go prints words for the function entered at {@code entry} (it has an ArgInfo program). */
    boolean has(long entry) throws ElfFormatException {
        return program(entry).isPresent();
    }

    /** The most words one program reads: each takes two of its bytes (offset, size). */
    static final int MAX_WORDS = MAX_LEN / 2;

    /**
     * Reads the words of one physical frame, as printArgs reads them (readUnaligned64, cut to the
     * word's size), into {@code into} from index {@code at}, one value per word in the program's
     * order: what {@link #text} prints. Reading and printing are apart so that goroutines whose
     * words are the same share one printed stack, compared by the values alone.
     *
     * @param entry the function's entry (link-time)
     * @param argp  the frame's argument pointer in the target (callerSp + MinFrameSize)
     * @param into  room for {@link #MAX_WORDS} values from {@code at}
     * @return the index after the last value read ({@code at} for a function without a program)
     * @throws MemoryReader.MemoryReadException when a word lies outside the memory read
     */
    int values(long entry, long argp, long[] into, int at) throws ElfFormatException, MemoryReader.MemoryReadException {
        Optional<byte[]> prog = program(entry);
        if (prog.isEmpty()) {
            return at;
        }
        byte[] p = prog.get();
        int n = at;
        for (int pi = 0; pi < p.length; ) {
            int o = Byte.toUnsignedInt(p[pi++]);
            if (o == END_SEQ) {
                return n;
            }
            if (o == START_AGG || o == END_AGG || o == DOTDOTDOT || o == OFFSET_TOO_LARGE) {
                continue;
            }
            if (pi >= p.length) {
                throw new ElfFormatException("ArgInfo program runs past " + p.length + " bytes");
            }
            int sz = Byte.toUnsignedInt(p[pi++]);
            long x = mem.word(argp + o);   // readUnaligned64, whatever the size
            if (sz < 8) {
                int shift = 64 - sz * 8;
                x = shift == 64 ? 0 : x << shift >>> shift;   // Go's shift by 64 gives 0, Java's by 0
            }
            into[n++] = x;
        }
        throw new ElfFormatException("ArgInfo program without its end in " + p.length + " bytes");
    }

    /**
     * The words of one physical frame as printArgs prints them, from the values {@link #values}
     * read into {@code values} from index {@code at}.
     *
     * @param entry  the function's entry (link-time)
     * @param livePc the PC whose ArgLiveIndex decides the {@code ?} marks (link-time): what the
     *               release's traceback passes to printArgs
     * @return the text between the parentheses; empty when the function has no program
     */
    String text(long entry, long livePc, long[] values, int at) throws ElfFormatException {
        Optional<byte[]> prog = program(entry);
        if (prog.isEmpty()) {
            return "";
        }
        byte[] p = prog.get();
        Optional<byte[]> live = liveInfo(entry);
        int liveIdx = live.isEmpty() ? -1 : liveIndex(livePc);
        int startOffset = live.isEmpty() || live.get().length == 0 ? 0xff : Byte.toUnsignedInt(live.get()[0]);
        StringBuilder b = new StringBuilder(48);
        boolean start = true;
        int slotIdx = 0;
        int v = at;
        for (int pi = 0; pi < p.length; ) {
            int o = Byte.toUnsignedInt(p[pi++]);
            if (o == END_SEQ) {
                return b.toString();
            }
            switch (o) {
                case START_AGG -> {
                    comma(b, start);
                    b.append('{');
                    start = true;
                    continue;
                }
                case END_AGG -> b.append('}');
                case DOTDOTDOT -> {
                    comma(b, start);
                    b.append("...");
                }
                case OFFSET_TOO_LARGE -> {
                    comma(b, start);
                    b.append('_');
                }
                default -> {
                    comma(b, start);
                    if (pi >= p.length) {
                        throw new ElfFormatException("ArgInfo program runs past " + p.length + " bytes");
                    }
                    pi++;   // the size, applied when the value was read
                    b.append("0x").append(Long.toHexString(values[v++]));
                    if (!isLive(entry, live, liveIdx, startOffset, o, slotIdx)) {
                        b.append('?');
                    }
                    if (o >= startOffset) {
                        slotIdx = (slotIdx + 1) & 0xff;   // a uint8 in printArgs
                    }
                }
            }
            start = false;
        }
        throw new ElfFormatException("ArgInfo program without its end in " + p.length + " bytes");
    }

    private static void comma(StringBuilder b, boolean start) {
        if (!start) {
            b.append(", ");
        }
    }

    /** printArgs' isLive: slots below startOffset are always live; above, bit slotIdx of the index's bytes. */
    private boolean isLive(long entry, Optional<byte[]> live, int liveIdx, int startOffset, int off, int slotIdx)
            throws ElfFormatException {
        if (live.isEmpty() || liveIdx <= 0) {
            return true;
        }
        if (off < startOffset) {
            return true;
        }
        int at = liveIdx + slotIdx / 8;
        byte[] bytes = live.get();
        if (at >= MAX_LIVE_INFO) {
            throw new ElfFormatException(String.format("ArgLiveIndex %d of the function at 0x%x is past any liveness table", liveIdx, entry));
        }
        if (at >= bytes.length) {
            bytes = tab.funcdataBytes(entry, FUNCDATA_ARG_LIVE_INFO, Math.min(MAX_LIVE_INFO, Math.max(at + 1, bytes.length * 2))).orElse(bytes);
            liveInfos.put(entry, Optional.of(bytes));
            if (at >= bytes.length) {
                throw new ElfFormatException(String.format("ArgLiveInfo byte %d of the function at 0x%x lies outside the file", at, entry));
            }
        }
        return (bytes[at] & (1 << (slotIdx % 8))) != 0;
    }

    private int liveIndex(long pc) throws ElfFormatException {
        Integer idx = liveIndexes.get(pc);
        if (idx == null) {
            idx = tab.pcdataValue(pc, PCDATA_ARG_LIVE_INDEX);
            liveIndexes.put(pc, idx);
        }
        return idx;
    }

    private Optional<byte[]> program(long entry) throws ElfFormatException {
        Optional<byte[]> p = programs.get(entry);
        if (p == null) {
            p = tab.funcdataBytes(entry, FUNCDATA_ARG_INFO, MAX_LEN);
            programs.put(entry, p);
        }
        return p;
    }

    private Optional<byte[]> liveInfo(long entry) throws ElfFormatException {
        Optional<byte[]> l = liveInfos.get(entry);
        if (l == null) {
            l = tab.funcdataBytes(entry, FUNCDATA_ARG_LIVE_INFO, 16);
            liveInfos.put(entry, l);
        }
        return l;
    }
}
