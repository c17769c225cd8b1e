package dev.attachproof.memory;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Direct memory for {@link CapturedMemory}'s copies, allocated and touched before a target
 * stops: a new direct buffer costs its zeroing and a page fault per page, about 0.5 ms per MB,
 * which inside a stopped window is the target's time. A rehearsal of the copy, made while the
 * target runs, sizes the pool; {@link #reuse} then hands the same memory out again for the
 * real copy. Buffers are carved from chunks one after the other; when the chunks run out (the
 * target grew between the rehearsal and the stop) a new buffer is allocated on the spot.
 * Thread-safe: two copying threads take from one pool.
 *
 * <p>A {@linkplain #rolling() rolling} pool is for copies read batch by batch and used only
 * while each batch is handed over ({@link CapturedMemory.BatchRead}): a batch's memory goes back
 * to the pool right after, for the next batch. A goroutine list of 1,000,000 g's (470 MB of
 * target memory) is then read through a few 4 MB buffers, and what is kept of it are the
 * fields read out of each batch (a tenth of the bytes). A batch that is not handed over (it
 * could not be read whole) keeps its memory until {@link #reuse}.
 *
 * <p>A {@linkplain #freeable() freeable} pool's chunks are freed one by one ({@link #free}), as
 * soon as nothing will read them: the stacks of 1,000,000 goroutines copied before a stop are
 * 420 MB, given back chunk by chunk as the unwinding passes them, instead of at a later
 * collection. What is left is freed by {@link #freeAll}, or when the pool is collected.
 */
public final class CopyBuffers {
    /** Chunks grow to this size (or one batch, if larger): a ByteBuffer holds at most 2 GB. */
    private static final int CHUNK = 32 << 20;

    /** The chunks buffers are carved from (for a rolling pool: the small takes only). */
    private final List<ByteBuffer> chunks = new ArrayList<>();
    /** The chunk being carved, and how far. */
    private int current;
    private int used;
    /** The buffer carved last, while its memory is the last carved: {@link #release} can undo it. */
    private ByteBuffer lastCarved;
    /** Bytes taken since the last {@link #reuse}, pooled or not. */
    private long taken;

    /** For a rolling pool: its buffers (each of at least {@link #ROLL} bytes), those free, and whose slice each take gave. */
    private static final int ROLL = CapturedMemory.MAX_BATCH_BYTES;
    private static final int IN_USE_AT_ONCE = 3;
    /**
     * A rolling pool carves a take this small from its chunks, kept until {@link #reuse}, instead
     * of handing it a whole batch buffer: a range read alone (a g whose batch could not be read
     * whole) is a few hundred bytes, and a dying target fails every batch, then every g alone.
     */
    private static final int ROLL_SMALL = 64 << 10;
    private final boolean rolling;
    /** A rolling pool's batch buffers, and those free. */
    private final List<ByteBuffer> rolls = new ArrayList<>();
    private final List<ByteBuffer> free = new ArrayList<>();
    private final java.util.Map<ByteBuffer, ByteBuffer> given = new java.util.IdentityHashMap<>();

    /** For a freeable pool: the arena of each chunk, and the chunk each take was carved from. */
    private final Arenas arenas;
    private final java.util.Map<ByteBuffer, Integer> chunkOfTake = new java.util.IdentityHashMap<>();
    private static final java.lang.ref.Cleaner CLEANER = java.lang.ref.Cleaner.create();

    /** A pool with nothing in it yet: every take allocates, and the chunks are kept for reuse. */
    public CopyBuffers() {
        this(false, false);
    }

    private CopyBuffers(boolean rolling, boolean freeable) {
        this.rolling = rolling;
        this.arenas = freeable ? new Arenas() : null;
        if (freeable) {
            CLEANER.register(this, arenas);
        }
    }

    /** A pool whose chunks can be freed one by one (see the class comment). */
    public static CopyBuffers freeable() {
        return new CopyBuffers(false, true);
    }

    /** Native memory: from an arena of its own when the pool is freeable. */
    private ByteBuffer allocate(int bytes) {
        return arenas == null ? ByteBuffer.allocateDirect(bytes) : arenas.allocate(bytes);
    }

    /**
     * The chunk of this freeable pool that a buffer {@link #take} gave was carved from; -1 when
     * the pool is not freeable or the buffer is not one it gave.
     */
    public synchronized int chunkOf(ByteBuffer taken) {
        Integer c = chunkOfTake.get(taken);
        return c == null ? -1 : c;
    }

    /** How many chunks the pool has allocated. */
    public synchronized int chunkCount() {
        return chunks.size();
    }

    /**
     * Frees chunk {@code chunk} of a freeable pool now (nothing else: a no-op when freed already
     * or not freeable): every buffer carved from it is then unusable, a read of one fails with
     * {@link IllegalStateException}.
     */
    public void free(int chunk) {
        if (arenas != null) {
            arenas.free(chunk);
        }
    }

    /** Frees every chunk of a freeable pool. */
    public void freeAll() {
        if (arenas != null) {
            arenas.run();
        }
    }

    /** The arenas of a freeable pool's chunks, in chunk order; null once freed. Run: frees them all. */
    private static final class Arenas implements Runnable {
        private final List<java.lang.foreign.Arena> open = new ArrayList<>();

        synchronized ByteBuffer allocate(int bytes) {
            java.lang.foreign.Arena a = java.lang.foreign.Arena.ofShared();
            open.add(a);
            return a.allocate(bytes, 4096).asByteBuffer();
        }

        synchronized void free(int chunk) {
            java.lang.foreign.Arena a = chunk >= 0 && chunk < open.size() ? open.get(chunk) : null;
            if (a != null) {
                open.set(chunk, null);
                a.close();
            }
        }

        @Override
        public synchronized void run() {
            for (int k = 0; k < open.size(); k++) {
                free(k);
            }
        }
    }

    /** A pool whose memory is taken back by {@link #release}, batch after batch (see the class comment). */
    public static CopyBuffers rolling() {
        return new CopyBuffers(true, false);
    }

    /** Whether {@link #release} takes memory back. */
    public boolean isRolling() {
        return rolling;
    }

    /**
     * Gives back a buffer {@link #take} gave, once nothing will read it again: a rolling pool
     * hands its memory out again; any other keeps it until {@link #reuse}.
     */
    public synchronized void release(ByteBuffer taken) {
        if (rolling) {
            ByteBuffer base = given.remove(taken);
            if (base != null) {
                free.add(base);
            }
        }
    }

    /**
     * Gives back a buffer {@link #take} gave that nothing was read into, from any pool: a rolling
     * pool hands it out again, and the last buffer carved from a chunk is carved again. A copy
     * from a dead target fails every read, and each would otherwise keep its memory.
     */
    public synchronized void unused(ByteBuffer taken) {
        release(taken);
        if (taken == lastCarved) {
            used -= taken.capacity();
            lastCarved = null;
        }
    }

    /**
     * {@code bytes} of little-endian direct memory (its position 0, its limit {@code bytes}),
     * from the pool when it has room; after {@link #reuse}, not zeroed.
     */
    public synchronized ByteBuffer take(int bytes) {
        taken += bytes;
        if (rolling && bytes > ROLL_SMALL) {
            return takeRolling(bytes);
        }
        while (current < chunks.size()) {
            ByteBuffer c = chunks.get(current);
            if (c.capacity() - used >= bytes) {
                ByteBuffer b = c.slice(used, bytes).order(ByteOrder.LITTLE_ENDIAN);
                used += bytes;
                return carved(b);
            }
            current++;
            used = 0;
        }
        // Chunks double, from 64 KB up to CHUNK: a few small copies take little.
        long carved = 0;
        for (ByteBuffer c : chunks) {
            carved += c.capacity();
        }
        ByteBuffer c = allocate((int) Math.max(bytes, Math.min(CHUNK, Math.max(1 << 16, carved))));
        chunks.add(c);
        current = chunks.size() - 1;
        used = bytes;
        return carved(c.slice(0, bytes).order(ByteOrder.LITTLE_ENDIAN));
    }

    /** {@code b}, carved from chunk {@link #current}: remembered when the pool is freeable. */
    private ByteBuffer carved(ByteBuffer b) {
        lastCarved = b;
        if (arenas != null) {
            chunkOfTake.put(b, current);
        }
        return b;
    }

    private ByteBuffer takeRolling(int bytes) {
        ByteBuffer base = null;
        for (int i = free.size() - 1; i >= 0 && base == null; i--) {
            if (free.get(i).capacity() >= bytes) {
                base = free.remove(i);
            }
        }
        if (base == null) {
            base = ByteBuffer.allocateDirect(Math.max(bytes, ROLL));
            rolls.add(base);
        }
        ByteBuffer b = base.slice(0, bytes).order(ByteOrder.LITTLE_ENDIAN);
        given.put(b, base);
        return b;
    }

    /** Bytes taken since the pool was made or last reused. */
    public synchronized long taken() {
        return taken;
    }

    /** Bytes the pool holds. */
    public synchronized long capacity() {
        long sum = 0;
        for (ByteBuffer c : chunks) {
            sum += c.capacity();
        }
        for (ByteBuffer c : rolls) {
            sum += c.capacity();
        }
        return sum;
    }

    /**
     * Grows the pool to at least {@code bytes}, now (allocating touches every page); a rolling
     * pool, to the few buffers it hands out at once.
     */
    public synchronized void reserve(long bytes) {
        if (rolling) {
            // As many batch buffers as that many bytes fill, up to as many as are ever taken at
            // once: one per copying thread (two) and the goroutine list's pointers.
            long want = Math.min((bytes + ROLL - 1) / ROLL, IN_USE_AT_ONCE);
            for (long have = free.size(); have < want; have++) {
                ByteBuffer c = ByteBuffer.allocateDirect(ROLL);
                rolls.add(c);
                free.add(c);
            }
            return;
        }
        long have = capacity();
        while (have < bytes) {
            ByteBuffer c = allocate((int) Math.min(CHUNK, Math.max(bytes - have, 1 << 20)));
            chunks.add(c);
            have += c.capacity();
        }
    }

    /**
     * Hands the pool's memory out again from its start: whatever was copied into it before must
     * not be read any more.
     */
    public synchronized void reuse() {
        chunkOfTake.clear();
        lastCarved = null;
        if (rolling) {
            given.clear();
            free.clear();
            free.addAll(rolls);
        }
        current = 0;
        used = 0;
        taken = 0;
    }
}
