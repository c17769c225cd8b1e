package dev.attachproof.golang;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Ranges of target memory copied while it was stopped, read back after it runs again: the
 * snapshot copies goroutines and their stacks in a few batched reads, detaches, and unwinds from
 * the copies, so the target is stopped only for the copying. A read outside the copies fails.
 * Built for 100,000s of ranges read in a stopped window: primitive arrays, one sort, no object
 * per range. Lookups remember the last range found, so one reader per thread.
 */
public final class CapturedMemory implements MemoryReader {
    /** Ranges closer than this are read as one: the bytes between cost less than another range. */
    public static final int MERGE_GAP = 4096;
    /** No merged range grows past this; nor does one batch of reads. */
    static final int MAX_MERGED = 4 << 20;
    static final int MAX_BATCH_BYTES = 4 << 20;

    /** Sorted, non-overlapping: range i is bytes [starts[i], starts[i] + lengths[i]) at buffers[buffer[i]] offset[i]. */
    private final long[] starts;
    private final int[] lengths;
    private final int[] buffer;
    private final int[] offset;
    private final ByteBuffer[] buffers;

    private CapturedMemory(long[] starts, int[] lengths, int[] buffer, int[] offset, ByteBuffer[] buffers) {
        this.starts = starts;
        this.lengths = lengths;
        this.buffer = buffer;
        this.offset = offset;
        this.buffers = buffers;
    }

    /** Copies with ranges merged across gaps of up to 4 KB (goroutines sit side by side in their spans). */
    public static CapturedMemory copy(MemoryReader mem, long[] addresses, int[] lengths) {
        return copy(mem, addresses, lengths, MERGE_GAP);
    }

    /**
     * Copies ranges {@code addresses[i]}, {@code lengths[i]} from {@code mem}: sorted, ranges at
     * most {@code gap} bytes apart merged, read 1,024 at a time (process_vm_readv's IOV_MAX). A
     * merged range that cannot be read whole is read again as its parts; a part that cannot be
     * read is left out (reading it later fails). Stacks want a small gap: between the used parts
     * of two stacks lie their unused parts, which would cost memory for nothing.
     */
    public static CapturedMemory copy(MemoryReader mem, long[] addresses, int[] lengths, int gap) {
        int n = addresses.length;
        int[] order = sortedOrder(addresses);
        // Merge: mStart/mEnd per merged range, and which sorted parts [mFirst, mLast) it holds.
        long[] mStart = new long[n];
        long[] mEnd = new long[n];
        int[] mFirst = new int[n];
        int[] mLast = new int[n];
        int m = 0;
        for (int k = 0; k < n; k++) {
            long start = addresses[order[k]];
            long end = start + lengths[order[k]];
            if (m > 0 && start - mEnd[m - 1] <= gap && Math.max(end, mEnd[m - 1]) - mStart[m - 1] <= MAX_MERGED) {
                mEnd[m - 1] = Math.max(mEnd[m - 1], end);
                mLast[m - 1] = k + 1;
            } else {
                mStart[m] = start;
                mEnd[m] = end;
                mFirst[m] = k;
                mLast[m] = k + 1;
                m++;
            }
        }
        // Batches of up to 1,024 merged ranges and 16 MB, each read into a buffer of its own.
        List<int[]> batches = new ArrayList<>();   // {first merged range, count}
        for (int i = 0; i < m; ) {
            int count = 0;
            long bytes = 0;
            while (i + count < m && count < 1024 && (count == 0 || bytes + (mEnd[i + count] - mStart[i + count]) <= MAX_BATCH_BYTES)) {
                bytes += mEnd[i + count] - mStart[i + count];
                count++;
            }
            batches.add(new int[] {i, count});
            i += count;
        }
        ByteBuffer[] bufs = new ByteBuffer[batches.size()];
        int[] read = new int[batches.size()];
        Runnable[] work = new Runnable[batches.size()];
        for (int bi = 0; bi < batches.size(); bi++) {
            int first = batches.get(bi)[0];
            int count = batches.get(bi)[1];
            int at = bi;
            work[bi] = () -> {
                long[] a = Arrays.copyOfRange(mStart, first, first + count);
                int[] l = new int[count];
                long bytes = 0;
                for (int c = 0; c < count; c++) {
                    l[c] = (int) (mEnd[first + c] - mStart[first + c]);
                    bytes += l[c];
                }
                bufs[at] = ByteBuffer.allocateDirect((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
                read[at] = mem.readMany(a, l, bufs[at]);
            };
        }
        runAll(work, mem.parallel());
        Builder out = new Builder(m);
        for (int bi = 0; bi < batches.size(); bi++) {
            int first = batches.get(bi)[0];
            int count = batches.get(bi)[1];
            int b = out.addBuffer(bufs[bi]);
            int pos = 0;
            int done = read[bi];
            for (int c = 0; c < done; c++) {
                int len = (int) (mEnd[first + c] - mStart[first + c]);
                out.add(mStart[first + c], len, b, pos);
                pos += len;
            }
            // From the merged range the read stopped at: each part alone, from this thread.
            for (int c = done; c < count; c++) {
                for (int k = mFirst[first + c]; k < mLast[first + c]; k++) {
                    int p = order[k];
                    ByteBuffer part = ByteBuffer.allocateDirect(lengths[p]).order(ByteOrder.LITTLE_ENDIAN);
                    if (mem.readMany(new long[] {addresses[p]}, new int[] {lengths[p]}, part) == 1) {
                        out.add(addresses[p], lengths[p], out.addBuffer(part), 0);
                    }
                }
            }
        }
        return out.build();
    }

    /** Runs the batches: on this thread, or split with one helper thread when the reader allows and there is enough. */
    private static void runAll(Runnable[] work, boolean parallel) {
        if (!parallel || work.length < 8) {
            for (Runnable r : work) {
                r.run();
            }
            return;
        }
        Thread helper = Thread.ofPlatform().name("attachproof-copy").start(() -> {
            for (int i = 1; i < work.length; i += 2) {
                work[i].run();
            }
        });
        for (int i = 0; i < work.length; i += 2) {
            work[i].run();
        }
        try {
            helper.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while copying target memory", e);
        }
    }

    /** The indexes of {@code addresses} in ascending order, by one primitive sort. */
    private static int[] sortedOrder(long[] addresses) {
        int n = addresses.length;
        long max = 0;
        boolean negative = false;
        for (long a : addresses) {
            negative |= a < 0;
            max = Math.max(max, a);
        }
        int indexBits = 64 - Long.numberOfLeadingZeros(Math.max(n, 1));
        int addressBits = 64 - Long.numberOfLeadingZeros(max);
        int[] order = new int[n];
        if (!negative && indexBits + addressBits <= 63) {
            // The index rides in the low bits of each key: one sort of primitives.
            long[] keys = new long[n];
            for (int i = 0; i < n; i++) {
                keys[i] = addresses[i] << indexBits | i;
            }
            Arrays.sort(keys);
            long mask = (1L << indexBits) - 1;
            for (int i = 0; i < n; i++) {
                order[i] = (int) (keys[i] & mask);
            }
            return order;
        }
        Integer[] boxed = new Integer[n];
        for (int i = 0; i < n; i++) {
            boxed[i] = i;
        }
        Arrays.sort(boxed, (x, y) -> Long.compareUnsigned(addresses[x], addresses[y]));
        for (int i = 0; i < n; i++) {
            order[i] = boxed[i];
        }
        return order;
    }

    /** Collects ranges in address order (parts read again after a failure may come late: sorted at the end). */
    private static final class Builder {
        long[] starts;
        int[] lengths;
        int[] buffer;
        int[] offset;
        int size;
        final List<ByteBuffer> buffers = new ArrayList<>();

        Builder(int capacity) {
            starts = new long[Math.max(capacity, 1)];
            lengths = new int[starts.length];
            buffer = new int[starts.length];
            offset = new int[starts.length];
        }

        int addBuffer(ByteBuffer b) {
            buffers.add(b);
            return buffers.size() - 1;
        }

        void add(long start, int length, int buf, int off) {
            if (size == starts.length) {
                starts = Arrays.copyOf(starts, size * 2);
                lengths = Arrays.copyOf(lengths, size * 2);
                buffer = Arrays.copyOf(buffer, size * 2);
                offset = Arrays.copyOf(offset, size * 2);
            }
            starts[size] = start;
            lengths[size] = length;
            buffer[size] = buf;
            offset[size] = off;
            size++;
        }

        CapturedMemory build() {
            boolean sorted = true;
            for (int i = 1; i < size && sorted; i++) {
                sorted = Long.compareUnsigned(starts[i - 1], starts[i]) <= 0;
            }
            if (sorted) {
                return new CapturedMemory(Arrays.copyOf(starts, size), Arrays.copyOf(lengths, size),
                        Arrays.copyOf(buffer, size), Arrays.copyOf(offset, size), buffers.toArray(ByteBuffer[]::new));
            }
            long[] s = Arrays.copyOf(starts, size);
            int[] order = sortedOrder(s);
            long[] ss = new long[size];
            int[] ll = new int[size];
            int[] bb = new int[size];
            int[] oo = new int[size];
            for (int i = 0; i < size; i++) {
                ss[i] = starts[order[i]];
                ll[i] = lengths[order[i]];
                bb[i] = buffer[order[i]];
                oo[i] = offset[order[i]];
            }
            return new CapturedMemory(ss, ll, bb, oo, buffers.toArray(ByteBuffer[]::new));
        }
    }

    /**
     * The copied bytes at {@code address}, {@code length} long, without copying them again; null
     * when they were not copied.
     */
    public ByteBuffer view(long address, int length) {
        int i = floor(address);
        if (i >= 0) {
            long off = address - starts[i];
            if (off >= 0 && off + length <= lengths[i]) {
                return buffers[buffer[i]].slice(offset[i] + (int) off, length).order(ByteOrder.LITTLE_ENDIAN);
            }
        }
        return null;
    }

    /** Whether {@code length} bytes at {@code address} were copied. */
    public boolean holds(long address, int length) {
        int i = floor(address);
        return i >= 0 && address - starts[i] + length <= lengths[i];
    }

    /** An unsigned field of {@code size} bytes (1, 2, 4, 8) at {@code address}, which must have been copied. */
    public long unsigned(long address, int size) {
        int i = floor(address);
        int at = offset[i] + (int) (address - starts[i]);
        ByteBuffer b = buffers[buffer[i]];
        return switch (size) {
            case 1 -> Byte.toUnsignedLong(b.get(at));
            case 2 -> Short.toUnsignedLong(b.getShort(at));
            case 4 -> Integer.toUnsignedLong(b.getInt(at));
            default -> b.getLong(at);
        };
    }

    /** The word at {@code address}; reads past the copies fail. */
    public long word(long address) throws MemoryReadException {
        int i = floor(address);
        if (i >= 0) {
            long off = address - starts[i];
            if (off >= 0 && off + 8 <= lengths[i]) {
                return buffers[buffer[i]].getLong(offset[i] + (int) off);
            }
        }
        throw new MemoryReadException(String.format("0x%x was not copied while the target was stopped", address));
    }

    /** The range the last lookup found: a stack's frames are read one after the other from one range. */
    private int last;

    private int floor(long address) {
        int l = last;
        if (l < starts.length && Long.compareUnsigned(starts[l], address) <= 0
                && (l + 1 == starts.length || Long.compareUnsigned(address, starts[l + 1]) < 0)) {
            return l;
        }
        int lo = 0;
        int hi = starts.length - 1;
        int found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (Long.compareUnsigned(starts[mid], address) <= 0) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        if (found >= 0) {
            last = found;
        }
        return found;
    }

    @Override
    public void read(long address, ByteBuffer dst) throws MemoryReadException {
        int len = dst.remaining();
        ByteBuffer v = view(address, len);
        if (v == null) {
            throw new MemoryReadException(String.format("0x%x (%d bytes) was not copied while the target was stopped", address, len));
        }
        dst.duplicate().put(v);
    }
}
