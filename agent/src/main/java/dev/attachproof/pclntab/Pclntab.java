package dev.attachproof.pclntab;

import dev.attachproof.elf.ElfFile;
import dev.attachproof.elf.ElfFormatException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * A parsed pcHeader and its tables. {@link #lookup(long)} answers for a PC: the function that
 * holds it and the file and line the PC belongs to.
 */
public final class Pclntab {
    public static final int GO_1_18 = 0xfffffff0;
    public static final int GO_1_20 = 0xfffffff1;
    private static final int MAX_FUNCS = 10_000_000;
    /** No function has more PC steps than the table has bytes; this bounds a corrupted one. */
    private static final int MAX_STEPS = 1 << 24;

    private final ByteBuffer tab;
    private final int magic;
    private final int minLC;
    private final int nfunc;
    private final long textStart;
    private final int funcnameOff;
    private final int cuOff;
    private final int filetabOff;
    private final int pctabOff;
    private final int pclnOff;
    /** Byte size of the fixed part of _func: Go 1.20 added startLine. */
    private final int funcSize;
    private final Func[] funcs;

    private Pclntab(ByteBuffer tab, long textFallback) throws ElfFormatException {
        this.tab = tab.order(ByteOrder.LITTLE_ENDIAN);
        if (tab.limit() < 72) {
            throw new ElfFormatException(".gopclntab is too short for a header");
        }
        magic = tab.getInt(0);
        if (magic != GO_1_18 && magic != GO_1_20) {
            throw new ElfFormatException(String.format(".gopclntab magic 0x%08x is not a format read here (Go 1.18 and later)", magic));
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
        long ts = tab.getLong(24);
        // Go 1.26 writes 0 here (moduledata moved to .go.module); the text section's start is the same base.
        textStart = ts != 0 ? ts : textFallback;
        funcnameOff = offset(32);
        cuOff = offset(40);
        filetabOff = offset(48);
        pctabOff = offset(56);
        pclnOff = offset(64);
        funcSize = magic == GO_1_20 ? 44 : 40;
        funcs = new Func[nfunc];
        if (!fits(pclnOff, (nfunc + 1L) * 8 + 4)) {
            throw new ElfFormatException(".gopclntab function table runs past the section");
        }
    }

    /** The table of an ELF Go binary, from its .gopclntab section. */
    public static Pclntab of(ElfFile elf) throws ElfFormatException {
        ElfFile.Section s = elf.section(".gopclntab")
                .orElseThrow(() -> new ElfFormatException("no .gopclntab section"));
        long text = elf.section(".text").map(ElfFile.Section::address).orElse(0L);
        return new Pclntab(elf.contents(s), text);
    }

    public int functionCount() {
        return nfunc;
    }

    public long textStart() {
        return textStart;
    }

    /** "go1.18" or "go1.20": the format family. */
    public String format() {
        return magic == GO_1_20 ? "go1.20" : "go1.18";
    }

    /** Entry PC of function {@code i} (0 <= i < functionCount). */
    public long entry(int i) {
        return textStart + Integer.toUnsignedLong(tab.getInt(pclnOff + i * 8));
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
     * A function's name and decoded line and file tables, made on first use and kept: a goroutine
     * dump asks about the same few functions again and again, and decoding is most of a lookup.
     */
    private Func func(int i) throws ElfFormatException {
        Func fn = funcs[i];
        if (fn == null) {
            int f = funcOffset(i);
            long entry = textStart + Integer.toUnsignedLong(tab.getInt(f));
            fn = new Func(this, cString(funcnameOff + tab.getInt(f + 4)), entry,
                    decode(tab.getInt(f + 24), entry), decode(tab.getInt(f + 20), entry), tab.getInt(f + 32));
            funcs[i] = fn;
        }
        return fn;
    }

    private static final class Func {
        final Pclntab owner;
        final String name;
        final long entry;
        final PcTable lines;
        final PcTable files;
        final int cu;
        String[] fileNames;

        Func(Pclntab owner, String name, long entry, PcTable lines, PcTable files, int cu) {
            this.owner = owner;
            this.name = name;
            this.entry = entry;
            this.lines = lines;
            this.files = files;
            this.cu = cu;
        }

        String fileName(int index) throws ElfFormatException {
            if (fileNames == null || index >= fileNames.length) {
                fileNames = java.util.Arrays.copyOf(fileNames == null ? new String[0] : fileNames, index + 1);
            }
            if (fileNames[index] == null) {
                fileNames[index] = owner.fileName(cu, index);
            }
            return fileNames[index];
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
        if (nfunc == 0 || pc < entry(0) || pc >= textStart + Integer.toUnsignedLong(tab.getInt(pclnOff + nfunc * 8))) {
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
        long off = pclnOff + Integer.toUnsignedLong(tab.getInt(pclnOff + i * 8 + 4));
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
}
