package dev.attachproof.memory;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Ranges of target memory copied while it was stopped, read back after it runs again: the
 * snapshot copies goroutines and their stacks in a few batched reads, detaches, and unwinds from
 * the copies, so the target is stopped only for the copying. A read outside the copies fails.
 * Built for 100,000s of ranges read in a stopped window: primitive arrays, no object per range,
 * and nothing done in the window that can wait (ranges copied as given are sorted for lookup on
 * the first read, after the target runs again). Lookups remember the last range found, so one
 * reader per thread.
 */
public final class CapturedMemory implements MemoryReader {
    /** Ranges closer than this are read as one: the bytes between cost less than another range. */
    private static final int MERGE_GAP = 4096;
    /** No merged range grows past this; nor does one batch of reads. */
    static final int MAX_MERGED = 4 << 20;
    static final int MAX_BATCH_BYTES = 4 << 20;

    /** Range i is bytes [starts[i], starts[i] + lengths[i]) at buffers[buffer[i]] offset[i]; sorted once {@link #indexed}. */
    private long[] starts;
    private int[] lengths;
    private int[] buffer;
    private int[] offset;
    private final ByteBuffer[] buffers;
    private volatile boolean indexed;
    /** Once indexed from ranges as given: where range i as given went (-1: not read); null otherwise. */
    private int[] sortedAt;
    /** Whether every range was read whole in its batch, in sorted order: {@link #copyAgain} repeats such a copy. */
    private final boolean batchedInOrder;

    private CapturedMemory(long[] starts, int[] lengths, int[] buffer, int[] offset, ByteBuffer[] buffers, boolean sorted) {
        this(starts, lengths, buffer, offset, buffers, sorted, sorted);
    }

    private CapturedMemory(long[] starts, int[] lengths, int[] buffer, int[] offset, ByteBuffer[] buffers, boolean sorted,
                           boolean batchedInOrder) {
        this.starts = starts;
        this.lengths = lengths;
        this.buffer = buffer;
        this.offset = offset;
        this.buffers = buffers;
        this.indexed = sorted;
        this.batchedInOrder = batchedInOrder;
    }

    /**
     * Another reader of the same copies (nothing copied again), for another thread: each reader
     * remembers the last range it found, and threads that shared one would take each other's
     * (every goroutine's stack is a range of its own, so a shared one finds nothing and costs a
     * search per word). Indexes the ranges first, on this thread.
     */
    public CapturedMemory forAnotherThread() {
        index();
        CapturedMemory other = new CapturedMemory(starts, lengths, buffer, offset, buffers, true, batchedInOrder);
        other.sortedAt = sortedAt;
        return other;
    }

    /**
     * The next reads are of range {@code given} (its number as the ranges were given, before the
     * first lookup sorted them): the first of them then finds it without a search. An unwinder
     * reads a goroutine's stack word by word, and its first word was a search of every range (at
     * 1,000,000 goroutines, 60 ms of the unwinding, most of it cache misses).
     */
    public void expect(int given) {
        index();
        int[] at = sortedAt;
        if (at != null && given >= 0 && given < at.length && at[given] >= 0) {
            last = at[given];
        }
    }

    /**
     * The same ranges read again from {@code mem}, in the same batches, into memory from {@code
     * pool}: range i of the copy is range i of this one, at the same offset of the same-numbered
     * buffer, so whoever kept where things lie in this copy finds them in the new one without a
     * search. Only for a copy made by {@link #copy} that read every merged range whole; null
     * otherwise, or when a range cannot be read whole again (the caller then copies afresh).
     */
    public CapturedMemory copyAgain(MemoryReader mem, CopyBuffers pool) {
        return copyAgain(mem, pool, null);
    }

    /**
     * Work on one batch of a copy, done by the thread that read it, right after, while the
     * bytes are still in its cache (and while another thread reads the next batch).
     */
    @FunctionalInterface
    public interface BatchRead {
        /** Batch {@code batch} (the buffer number {@link #batchOf} names) was read whole into {@code buffer}. */
        void read(int batch, ByteBuffer buffer);
    }

    /** Which batch (buffer) range {@code r} of a copy made by {@link #copy} was read in. */
    public int batchOf(int r) {
        return buffer[r];
    }

    /** How many batches (buffers) the copy was read in. */
    public int batches() {
        return buffers.length;
    }

    /**
     * {@link #copyAgain(MemoryReader, CopyBuffers)}, handing each batch, once read whole, to
     * {@code after} on the thread that read it. A null result voids what {@code after} saw.
     */
    public CapturedMemory copyAgain(MemoryReader mem, CopyBuffers pool, BatchRead after) {
        if (!batchedInOrder) {
            return null;
        }
        Copies c = Copies.read(mem, starts, lengths, pool,
                after == null ? null : (batch, buffer, first, count, offsets) -> after.read(batch, buffer), NO_DEADLINE);
        for (int i = 0; i < c.size; i++) {
            if (c.buffer[i] != buffer[i] || c.offset[i] != offset[i]) {
                return null;
            }
        }
        return c.captured(true);
    }

    /**
     * The buffer range {@code r} (in the order {@link #copyAsGiven} was given the ranges) was
     * copied into: what a {@link CopyBuffers#take} gave; null when it was not copied, or once
     * the copy has been read (its ranges are sorted then).
     */
    public ByteBuffer givenBuffer(int r) {
        return copiedAsGiven(r) ? buffers[buffer[r]] : null;
    }

    /**
     * Word {@code k} of range {@code r} as given, read without indexing the copy (which would
     * renumber its ranges); empty when the range was not copied or is shorter.
     */
    public java.util.OptionalLong givenWord(int r, int k) {
        if (!copiedAsGiven(r) || 8L * (k + 1) > lengths[r]) {
            return java.util.OptionalLong.empty();
        }
        return java.util.OptionalLong.of(buffers[buffer[r]].getLong(offset[r] + 8 * k));
    }

    /** Bytes of target memory the ranges hold. */
    public long bytes() {
        long sum = 0;
        for (int i = 0; i < starts.length; i++) {
            sum += buffer[i] >= 0 ? lengths[i] : 0;
        }
        return sum;
    }

    /**
     * Whether range {@code r}, in the order {@link #copyAsGiven} was given the ranges, was
     * copied in its batch; false once the copy has been read (its ranges are sorted then).
     */
    public boolean copiedAsGiven(int r) {
        return !indexed && r >= 0 && r < buffer.length && buffer[r] >= 0;
    }

    /**
     * One reader over ranges {@code keepOfA[0..keep)} of {@code a} (indexes in the order {@link
     * #copyAsGiven} was given them; {@code a} not yet read) and every range of {@code b}: the
     * stacks copied while the target ran that still stand, with those copied again while it was
     * stopped. The two must not overlap. Nothing is copied; {@code a}'s other ranges are left out.
     * In the union's given order, range j of {@code keepOfA} comes first (index j), then range r
     * of {@code b} as given (index keep + r), as {@link #copiedAsGiven} takes them.
     */
    public static CapturedMemory union(CapturedMemory a, int[] keepOfA, int keep, CapturedMemory b) {
        if (a.indexed) {
            throw new IllegalStateException("the copy has been read: its ranges are no longer as given");
        }
        int bn = b.starts.length;
        int n = keep + bn;
        long[] ss = new long[n];
        int[] ll = new int[n];
        int[] bb = new int[n];
        int[] oo = new int[n];
        if (b.indexed) {
            throw new IllegalStateException("the copy has been read: its ranges are no longer as given");
        }
        for (int j = 0; j < keep; j++) {
            int r = keepOfA[j];
            ss[j] = a.starts[r];
            ll[j] = a.lengths[r];
            bb[j] = a.buffer[r];
            oo[j] = a.offset[r];
        }
        int shift = a.buffers.length;
        for (int r = 0; r < bn; r++) {   // every slot, those not read too (buffer -1): the indexes stay as given
            ss[keep + r] = b.starts[r];
            ll[keep + r] = b.lengths[r];
            bb[keep + r] = b.buffer[r] < 0 ? -1 : b.buffer[r] + shift;
            oo[keep + r] = b.offset[r];
        }
        ByteBuffer[] bufs = Arrays.copyOf(a.buffers, shift + b.buffers.length);
        System.arraycopy(b.buffers, 0, bufs, shift, b.buffers.length);
        return new CapturedMemory(ss, ll, bb, oo, bufs, false);
    }

    /**
     * Copies ranges {@code addresses[i]}, {@code lengths[i]} from {@code mem} into memory from
     * {@code buffers}: sorted, ranges at most 4 KB apart merged (goroutines sit side by side in
     * their spans), read 1,024 at a time (process_vm_readv's IOV_MAX). A merged range that cannot
     * be read whole is read again as its parts; a part that cannot be read is left out (reading
     * it later fails).
     */
    public static CapturedMemory copy(MemoryReader mem, long[] addresses, int[] lengths, CopyBuffers buffers) {
        return copy(mem, addresses, lengths, buffers, null);
    }

    /** Work on one range of a {@link #copy}, done by the thread that read its batch, right after. */
    @FunctionalInterface
    public interface PartRead {
        /** Range {@code part} (its index in the addresses given) was read whole: it is at {@code offset} of {@code buffer}. */
        void read(int part, ByteBuffer buffer, int offset);
    }

    /**
     * {@link #copy(MemoryReader, long[], int[], CopyBuffers)}, handing each range given to {@code
     * after} (when not null) as soon as its batch has been read whole, on the thread that read
     * it; then the batch's memory goes back to {@code buffers} ({@link CopyBuffers#release}). A
     * range whose batch was not read whole is not handed over: read it from the copy.
     */
    public static CapturedMemory copy(MemoryReader mem, long[] addresses, int[] lengths, CopyBuffers buffers, PartRead after) {
        Merged merged = Merged.of(addresses, lengths);
        int[] order = merged.order();
        long[] mStart = merged.start();
        int[] mLength = merged.length();
        int[] mFirst = merged.first();
        int m = merged.count();
        Handed parts = after == null ? null : (batch, buffer, first, count, offsets) -> {
            for (int r = first; r < first + count; r++) {
                for (int k = mFirst[r]; k < mFirst[r + 1]; k++) {
                    int part = order[k];
                    after.read(part, buffer, offsets[r] + (int) (addresses[part] - mStart[r]));
                }
            }
        };
        Copies c = Copies.read(mem, Arrays.copyOf(mStart, m), mLength, buffers, parts, NO_DEADLINE);
        // A merged range that failed: each of its parts alone, from this thread.
        for (int i = 0; i < m; i++) {
            if (c.buffer[i] < 0) {
                for (int k = mFirst[i]; k < mFirst[i + 1]; k++) {
                    c.readAlone(mem, addresses[order[k]], lengths[order[k]], buffers);
                }
            }
        }
        return c.captured(true);
    }

    /**
     * Copies the ranges as given, neither sorted nor merged, into memory from {@code buffers}: for
     * stacks, whose used parts lie apart (between two lies the unused part of the next), and
     * which are many. The sort for lookups waits for the first read. A range that cannot be read
     * is left out.
     */
    public static CapturedMemory copyAsGiven(MemoryReader mem, long[] addresses, int[] lengths, CopyBuffers buffers) {
        return copyAsGiven(mem, addresses, lengths, buffers, NO_DEADLINE);
    }

    /** No deadline: every batch is read. */
    public static final long NO_DEADLINE = Long.MIN_VALUE;

    /**
     * {@link #copyAsGiven(MemoryReader, long[], int[], CopyBuffers)}, but a batch not begun by
     * {@code deadline} (a {@link System#nanoTime()}; {@link #NO_DEADLINE}: none) is left unread,
     * and no range is read alone after it: {@link #copiedAsGiven} says which were read, {@link
     * #withUnreadRead} reads the others later.
     */
    public static CapturedMemory copyAsGiven(MemoryReader mem, long[] addresses, int[] lengths, CopyBuffers buffers,
                                             long deadline) {
        Copies c = Copies.read(mem, addresses, lengths, buffers, null, deadline);
        for (int i = 0; i < addresses.length && !past(deadline); i++) {
            if (c.buffer[i] < 0) {
                c.readAlone(mem, addresses[i], lengths[i], buffers);
            }
        }
        return c.captured(false);
    }

    /**
     * Ranges sorted, and those at most {@link #MERGE_GAP} apart merged, up to {@link
     * #MAX_MERGED}: merged range r is {@code length[r]} bytes at {@code start[r]} and holds the
     * ranges {@code order[first[r]]} to {@code order[first[r + 1] - 1]} ({@code first} has
     * {@code count + 1} entries).
     */
    private record Merged(int[] order, long[] start, int[] length, int[] first, int count) {
        static Merged of(long[] addresses, int[] lengths) {
            int[] order = sortedOrder(addresses);
            int n = addresses.length;
            long[] start = new long[n];
            long[] end = new long[n];
            int[] first = new int[n + 1];
            int m = 0;
            for (int k = 0; k < n; k++) {
                long s = addresses[order[k]];
                long e = s + lengths[order[k]];
                if (m > 0 && s - end[m - 1] <= MERGE_GAP && Math.max(e, end[m - 1]) - start[m - 1] <= MAX_MERGED) {
                    end[m - 1] = Math.max(end[m - 1], e);
                } else {
                    start[m] = s;
                    end[m] = e;
                    first[m] = k;
                    m++;
                }
            }
            first[m] = n;
            int[] length = new int[m];
            for (int i = 0; i < m; i++) {
                length[i] = (int) (end[i] - start[i]);
            }
            return new Merged(order, start, length, first, m);
        }
    }

    /** Fewer ranges than this are copied as given by {@link #copyPacked}: merging them would not pay for the sort. */
    private static final int PACK_MIN = 256;

    /**
     * {@link #copyAsGiven(MemoryReader, long[], int[], CopyBuffers)}'s copy, read as {@link #copy}
     * reads: sorted, ranges at most 4 KB apart read as one, into {@code scratch} (a {@linkplain
     * CopyBuffers#rolling() rolling} pool, a batch at a time), each range then moved to where
     * copyAsGiven would have read it into memory from {@code buffers}. For stacks: the kernel's
     * cost is per range and page (it pins the target's pages range by range), not per byte, and
     * goroutines' stacks sit side by side in their spans, the used part of each at its top: the
     * 100,010 stacks of the 100,004-goroutine bench target (40 MB, 400 bytes each) read as
     * given took 58-66 ms, merged into 5,500 ranges (196 MB) and moved out of a 4 MB scratch
     * buffer 35-37 ms (measured in C on that target). The copy holds only the ranges' bytes,
     * laid out as copyAsGiven lays them (in the order given, so {@link CopyBuffers#free} can
     * give chunks back in that order). A merged range that cannot be read whole is read again
     * as its parts; a part that cannot be read is left out.
     */
    public static CapturedMemory copyPacked(MemoryReader mem, long[] addresses, int[] lengths, CopyBuffers buffers,
                                            CopyBuffers scratch) {
        int n = addresses.length;
        if (n < PACK_MIN || !scratch.isRolling()) {
            return copyAsGiven(mem, addresses, lengths, buffers, NO_DEADLINE);
        }
        // Where each range goes: the batches copyAsGiven would read, in the order given.
        int[] buffer = new int[n];
        int[] offset = new int[n];
        List<ByteBuffer> bufs = new ArrayList<>();
        for (int[] batch : batches(lengths, n)) {
            int bytes = 0;
            for (int i = batch[0]; i < batch[0] + batch[1]; i++) {
                buffer[i] = bufs.size();
                offset[i] = bytes;
                bytes += lengths[i];
            }
            bufs.add(buffers.take(bytes));
        }
        // What is read: merged ranges in address order, in batches of 1,024 and 4 MB.
        Merged mergedRanges = Merged.of(addresses, lengths);
        int[] order = mergedRanges.order();
        long[] mStart = mergedRanges.start();
        int[] mLength = mergedRanges.length();
        int[] mFirst = mergedRanges.first();
        int m = mergedRanges.count();
        List<int[]> batches = batches(mLength, m);
        ByteBuffer[] dst = bufs.toArray(ByteBuffer[]::new);
        boolean[] alone = new boolean[n];   // in a merged range that was not read whole
        Runnable[] work = new Runnable[batches.size()];
        for (int bi = 0; bi < work.length; bi++) {
            int first = batches.get(bi)[0];
            int count = batches.get(bi)[1];
            work[bi] = () -> {
                long[] a = Arrays.copyOfRange(mStart, first, first + count);
                int[] l = Arrays.copyOfRange(mLength, first, first + count);
                int bytes = 0;
                for (int len : l) {
                    bytes += len;
                }
                ByteBuffer read = scratch.take(bytes);
                int done = mem.readMany(a, l, read);
                int at = 0;
                for (int r = first; r < first + count; r++) {
                    for (int k = mFirst[r]; k < mFirst[r + 1]; k++) {
                        int part = order[k];
                        ByteBuffer to = dst[buffer[part]];
                        if (r - first < done) {
                            to.put(offset[part], read, at + (int) (addresses[part] - mStart[r]), lengths[part]);
                        } else {
                            alone[part] = true;
                        }
                    }
                    at += mLength[r];
                }
                scratch.release(read);
            };
        }
        runAll(work, mem.parallel() && m >= PACK_MIN);
        // From this thread (a parallel reader may give up early), each part alone.
        for (int part = 0; part < n; part++) {
            if (alone[part] && mem.readMany(new long[] {addresses[part]}, new int[] {lengths[part]},
                    dst[buffer[part]].slice(offset[part], lengths[part])) != 1) {
                buffer[part] = -1;   // left out
            }
        }
        return new CapturedMemory(addresses.clone(), lengths.clone(), buffer, offset, dst, false);
    }

    /**
     * The first {@code n} ranges of {@code lengths} in batches of reads, each {first range, count}:
     * 1,024 ranges at most (process_vm_readv's IOV_MAX), and at most {@link #MAX_BATCH_BYTES}
     * unless one range is larger.
     */
    private static List<int[]> batches(int[] lengths, int n) {
        List<int[]> batches = new ArrayList<>();
        for (int i = 0; i < n; ) {
            int count = 0;
            long bytes = 0;
            while (i + count < n && count < 1024 && (count == 0 || bytes + lengths[i + count] <= MAX_BATCH_BYTES)) {
                bytes += lengths[i + count];
                count++;
            }
            batches.add(new int[] {i, count});
            i += count;
        }
        return batches;
    }

    /** Whether {@code deadline} has passed. */
    public static boolean past(long deadline) {
        return deadline != NO_DEADLINE && System.nanoTime() - deadline > 0;
    }

    /**
     * This copy, its ranges as given, with those it has not read (left past a deadline, or
     * unreadable then) read now from {@code mem} into memory from {@code pool}: range i of the
     * result is range i of this one. Those still unreadable stay out.
     */
    public CapturedMemory withUnreadRead(MemoryReader mem, CopyBuffers pool) {
        if (indexed) {
            throw new IllegalStateException("the copy has been read: its ranges are no longer as given");
        }
        int n = starts.length;
        int missing = 0;
        for (int i = 0; i < n; i++) {
            missing += buffer[i] < 0 ? 1 : 0;
        }
        if (missing == 0) {
            return this;
        }
        int[] which = new int[missing];
        long[] ss = new long[missing];
        int[] ll = new int[missing];
        for (int i = 0, k = 0; i < n; i++) {
            if (buffer[i] < 0) {
                which[k] = i;
                ss[k] = starts[i];
                ll[k++] = lengths[i];
            }
        }
        Copies c = Copies.read(mem, ss, ll, pool);
        int shift = buffers.length;
        int[] bb = buffer.clone();
        int[] oo = offset.clone();
        for (int k = 0; k < missing; k++) {
            bb[which[k]] = c.buffer[k] < 0 ? -1 : c.buffer[k] + shift;
            oo[which[k]] = c.offset[k];
        }
        ByteBuffer[] bufs = Arrays.copyOf(buffers, shift + c.buffers.size());
        for (int b = 0; b < c.buffers.size(); b++) {
            bufs[shift + b] = c.buffers.get(b);
        }
        return new CapturedMemory(starts.clone(), lengths.clone(), bb, oo, bufs, false);
    }

    /** A batch read whole, handed over: ranges [first, first + count), range r at offsets[r] of buffer. */
    @FunctionalInterface
    private interface Handed {
        void read(int batch, ByteBuffer buffer, int first, int count, int[] offsets);
    }

    /**
     * Ranges read in batches of up to 1,024 and 4 MB, each batch into a buffer of its own, on two
     * threads when the reader allows: per range, its buffer and offset (buffer -1: not read).
     * Ranges read alone after a failure are appended.
     */
    private static final class Copies {
        long[] starts;
        int[] lengths;
        int[] buffer;
        int[] offset;
        int size;
        final List<ByteBuffer> buffers;

        private Copies(long[] starts, int[] lengths, int[] buffer, int[] offset, List<ByteBuffer> buffers) {
            this.starts = starts;
            this.lengths = lengths;
            this.buffer = buffer;
            this.offset = offset;
            this.size = starts.length;
            this.buffers = buffers;
        }

        static Copies read(MemoryReader mem, long[] starts, int[] lengths, CopyBuffers pool) {
            return read(mem, starts, lengths, pool, null, NO_DEADLINE);
        }

        /**
         * As {@link #read(MemoryReader, long[], int[], CopyBuffers)}, each batch read whole handed
         * to {@code after}, and its memory then given back to the pool ({@link CopyBuffers#release});
         * a batch not begun by {@code deadline} is left unread (its ranges' buffer -1).
         */
        static Copies read(MemoryReader mem, long[] starts, int[] lengths, CopyBuffers pool, Handed after, long deadline) {
            int n = starts.length;
            List<int[]> batches = batches(lengths, n);
            int[] buffer = new int[n];
            int[] offset = new int[n];
            ByteBuffer[] bufs = new ByteBuffer[batches.size()];
            Runnable[] work = new Runnable[batches.size()];
            for (int bi = 0; bi < batches.size(); bi++) {
                int first = batches.get(bi)[0];
                int count = batches.get(bi)[1];
                int at = bi;
                work[bi] = () -> {
                    if (past(deadline)) {
                        Arrays.fill(buffer, first, first + count, -1);
                        return;
                    }
                    long[] a = Arrays.copyOfRange(starts, first, first + count);
                    int[] l = Arrays.copyOfRange(lengths, first, first + count);
                    long bytes = 0;
                    for (int len : l) {
                        bytes += len;
                    }
                    bufs[at] = pool.take((int) bytes);
                    int done = mem.readMany(a, l, bufs[at]);
                    int pos = 0;
                    for (int c = 0; c < count; c++) {
                        buffer[first + c] = c < done ? at : -1;
                        offset[first + c] = pos;
                        pos += l[c];
                    }
                    if (after != null && done == count) {
                        after.read(at, bufs[at], first, count, offset);
                        pool.release(bufs[at]);
                    } else if (done <= 0) {
                        // Nothing of it is in the copy (a dead target fails every batch).
                        pool.unused(bufs[at]);
                        bufs[at] = null;
                    }
                };
            }
            runAll(work, mem.parallel());
            return new Copies(starts.clone(), lengths.clone(), buffer, offset, new ArrayList<>(Arrays.asList(bufs)));
        }

        /** One range, read by itself; left out when it cannot be read. */
        void readAlone(MemoryReader mem, long start, int length, CopyBuffers pool) {
            ByteBuffer part = pool.take(length);
            if (mem.readMany(new long[] {start}, new int[] {length}, part) != 1) {
                pool.unused(part);
                return;
            }
            if (size == starts.length) {
                int grown = Math.max(size * 2, 4);
                starts = Arrays.copyOf(starts, grown);
                lengths = Arrays.copyOf(lengths, grown);
                buffer = Arrays.copyOf(buffer, grown);
                offset = Arrays.copyOf(offset, grown);
            }
            buffers.add(part);
            starts[size] = start;
            lengths[size] = length;
            buffer[size] = buffers.size() - 1;
            offset[size] = 0;
            size++;
        }

        /** The ranges read, as captured memory; sorted now only when they were read in order and none alone. */
        CapturedMemory captured(boolean sortedAsRead) {
            boolean sorted = sortedAsRead && size == starts.length;
            for (int i = 0; i < size && sorted; i++) {
                sorted = buffer[i] >= 0;
            }
            return new CapturedMemory(Arrays.copyOf(starts, size), Arrays.copyOf(lengths, size), Arrays.copyOf(buffer, size),
                    Arrays.copyOf(offset, size), buffers.toArray(ByteBuffer[]::new), sorted);
        }
    }

    /** Runs the batches: on this thread, or shared with one helper thread when the reader allows and there is enough. */
    private static void runAll(Runnable[] work, boolean parallel) {
        if (!parallel || work.length < 8) {
            for (Runnable r : work) {
                r.run();
            }
            return;
        }
        java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
        Runnable drain = () -> {
            for (int i; (i = next.getAndIncrement()) < work.length; ) {
                work[i].run();
            }
        };
        Thread helper = Thread.ofPlatform().name("attachproof-copy").start(drain);
        drain.run();
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

    /**
     * Sorts the ranges by address, leaving out those not read (buffer -1), on the first lookup:
     * after the target runs again.
     */
    private void index() {
        if (indexed) {
            return;
        }
        synchronized (this) {
            if (indexed) {
                return;
            }
            int[] order = sortedOrder(starts);
            int[] at = new int[starts.length];
            int kept = 0;
            for (int i : order) {
                kept += buffer[i] >= 0 ? 1 : 0;
            }
            long[] ss = new long[kept];
            int[] ll = new int[kept];
            int[] bb = new int[kept];
            int[] oo = new int[kept];
            int k = 0;
            java.util.Arrays.fill(at, -1);
            for (int i : order) {
                if (buffer[i] >= 0) {
                    ss[k] = starts[i];
                    ll[k] = lengths[i];
                    bb[k] = buffer[i];
                    oo[k] = offset[i];
                    at[i] = k;
                    k++;
                }
            }
            starts = ss;
            lengths = ll;
            buffer = bb;
            offset = oo;
            sortedAt = at;
            indexed = true;
        }
    }

    /** The range holding {@code length} bytes at {@code address}, -1 when they were not copied. */
    public int find(long address, int length) {
        int i = floor(address);
        if (i < 0) {
            return -1;
        }
        long off = address - starts[i];
        return off >= 0 && off + length <= lengths[i] ? i : -1;
    }

    /** The buffer range {@code range} (from {@link #find}) lies in, little-endian; read it with absolute gets. */
    public ByteBuffer rangeBuffer(int range) {
        return buffers[buffer[range]];
    }

    /** Where {@code address}, within range {@code range}, lies in {@link #rangeBuffer}. */
    public int rangeOffset(int range, long address) {
        return offset[range] + (int) (address - starts[range]);
    }

    /** The word at {@code address}; reads past the copies fail. */
    @Override
    public long word(long address) throws MemoryReadException {
        int r = find(address, 8);
        if (r < 0) {
            throw new MemoryReadException(String.format("0x%x was not copied while the target was stopped", address));
        }
        try {
            return rangeBuffer(r).getLong(rangeOffset(r, address));
        } catch (IllegalStateException e) {
            throw freed(address);
        }
    }

    /**
     * A read of a range whose memory was given back ({@link CopyBuffers#free}): those are the
     * stacks of goroutines already unwound, which no other goroutine's frames lie in.
     */
    private static MemoryReadException freed(long address) {
        return new MemoryReadException(String.format("0x%x was copied, but its copy has been freed", address));
    }

    /** The range the last lookup found: a stack's frames are read one after the other from one range. */
    private int last;

    private int floor(long address) {
        index();
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
        int r = find(address, len);
        if (r < 0) {
            throw new MemoryReadException(String.format("0x%x (%d bytes) was not copied while the target was stopped", address, len));
        }
        try {
            dst.duplicate().put(rangeBuffer(r).slice(rangeOffset(r, address), len));
        } catch (IllegalStateException e) {
            throw freed(address);
        }
    }
}
