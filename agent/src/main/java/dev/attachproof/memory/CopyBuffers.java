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
 */
public final class CopyBuffers {
    /** Chunks grow to this size (or one batch, if larger): a ByteBuffer holds at most 2 GB. */
    private static final int CHUNK = 32 << 20;

    private final List<ByteBuffer> chunks = new ArrayList<>();
    /** The chunk being carved, and how far. */
    private int current;
    private int used;
    /** Bytes taken since the last {@link #reuse}, pooled or not. */
    private long taken;

    /** A pool with nothing in it yet: every take allocates, and the chunks are kept for reuse. */
    public CopyBuffers() {}

    /**
     * {@code bytes} of little-endian direct memory (its position 0, its limit {@code bytes}),
     * from the pool when it has room; after {@link #reuse}, not zeroed.
     */
    public synchronized ByteBuffer take(int bytes) {
        taken += bytes;
        while (current < chunks.size()) {
            ByteBuffer c = chunks.get(current);
            if (c.capacity() - used >= bytes) {
                ByteBuffer b = c.slice(used, bytes).order(ByteOrder.LITTLE_ENDIAN);
                used += bytes;
                return b;
            }
            current++;
            used = 0;
        }
        // Chunks double, from 64 KB up to CHUNK: a few small copies take little.
        ByteBuffer c = ByteBuffer.allocateDirect((int) Math.max(bytes, Math.min(CHUNK, Math.max(1 << 16, capacity()))));
        chunks.add(c);
        current = chunks.size() - 1;
        used = bytes;
        return c.slice(0, bytes).order(ByteOrder.LITTLE_ENDIAN);
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
        return sum;
    }

    /** Grows the pool to at least {@code bytes}, now (allocating touches every page). */
    public synchronized void reserve(long bytes) {
        long have = capacity();
        while (have < bytes) {
            ByteBuffer c = ByteBuffer.allocateDirect((int) Math.min(CHUNK, Math.max(bytes - have, 1 << 20)));
            chunks.add(c);
            have += c.capacity();
        }
    }

    /**
     * Hands the pool's memory out again from its start: whatever was copied into it before must
     * not be read any more.
     */
    public synchronized void reuse() {
        current = 0;
        used = 0;
        taken = 0;
    }
}
