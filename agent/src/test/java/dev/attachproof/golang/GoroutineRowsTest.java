package dev.attachproof.golang;

import dev.attachproof.memory.CopyBuffers;
import dev.attachproof.memory.MemoryReader;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fields {@link GoroutineReader#copyAll} keeps of each g, on a fake target laid out by Go
 * 1.22's amd64 layout table (itself checked against DWARF): read out of each batch through a
 * rolling pool; a later copy of the same list takes the rows over and reads again those of the
 * g's that changed; a copy of a list that grew compares its rows with the earlier ones; a copy
 * whose rows were taken over is compared with no more.
 */
class GoroutineRowsTest {
    private static final long BASE = 0x100000;
    private static final long ALLGS = BASE;
    private static final long GS = BASE + 0x100000;   // past the pointer array (N * 8 bytes)
    /** Enough g's that their merged ranges take several 4 MB batches. */
    private static final int N = 30_000;

    private final RuntimeLayout layout = LayoutTable.lookup(1, 22, "amd64").orElseThrow();
    private final GoroutineReader reader = new GoroutineReader(layout);
    private final int gSize = reader.gSize();
    private final ByteBuffer memory = ByteBuffer.allocate((int) (GS - BASE) + (N + 1) * gSize).order(ByteOrder.LITTLE_ENDIAN);

    private final MemoryReader target = (address, dst) -> {
        long off = address - BASE;
        if (off < 0 || off + dst.remaining() > memory.capacity()) {
            throw new MemoryReader.MemoryReadException("unmapped 0x" + Long.toHexString(address));
        }
        dst.duplicate().put(memory.slice((int) off, dst.remaining()));
    };

    private long offset(String struct, String member) {
        return layout.member(struct, member).orElseThrow().offset();
    }

    private void put(int g, long fieldOffset, long size, long value) {
        int at = (int) (GS - BASE) + g * gSize + (int) fieldOffset;
        switch ((int) size) {
            case 1 -> memory.put(at, (byte) value);
            case 4 -> memory.putInt(at, (int) value);
            default -> memory.putLong(at, value);
        }
    }

    private void put(int g, String member, long value) {
        var m = layout.member("runtime.g", member).orElseThrow();
        put(g, m.offset(), m.size(), value);
    }

    private void sp(int g, long value) {
        put(g, offset("runtime.g", "sched") + offset("runtime.gobuf", "sp"), 8, value);
    }

    /** g i: parked (_Gwaiting), stamped by a GC, id i + 1, its stack and saved SP its own. */
    private void parked(int g) {
        put(g, "atomicstatus", 4);
        put(g, "waitsince", 1_000_000L + g);
        put(g, "trackingSeq", g % 256);
        put(g, "goid", g + 1);
        put(g, "waitreason", 7);
        long lo = 0xc000000000L + (long) g * 8192;
        put(g, offset("runtime.g", "stack") + offset("runtime.stack", "lo"), 8, lo);
        put(g, offset("runtime.g", "stack") + offset("runtime.stack", "hi"), 8, lo + 8192);
        sp(g, lo + 8000);
        put(g, offset("runtime.g", "sched") + offset("runtime.gobuf", "pc"), 8, 0x401000 + g);
        memory.putLong((int) (ALLGS - BASE) + g * 8, GS + (long) g * gSize);
    }

    private GoroutineReader.AllGs list(int n) {
        return new GoroutineReader.AllGs(ALLGS, n, n);
    }

    @Test
    void rowsAreTakenOutOfEachBatchAndReadAgainInPlaceWhenTheyChange() throws Exception {
        for (int g = 0; g < N; g++) {
            parked(g);
        }
        CopyBuffers pool = CopyBuffers.rolling();
        GoroutineReader.Copied first = reader.copyAll(target, list(N), pool, null, null);
        assertTrue(pool.capacity() <= 3 * (4 << 20), "a rolling pool of " + pool.capacity() + " bytes for "
                + (long) N * gSize + " bytes of g's");
        for (int g = 0; g < N; g += 997) {
            Goroutine d = first.decode(g);
            assertEquals(g + 1, d.id());
            assertEquals(4, d.baseStatus());
            assertEquals(1_000_000L + g, d.waitSince());
            assertEquals(0xc000000000L + (long) g * 8192 + 8000, first.startSp(g));
            assertEquals(0x401000 + g, first.startPc(g));
            assertTrue(first.keepable(g));
        }
        // g 3 parks again lower on its stack; g 5 ran (waitsince 0); g 7 died.
        sp(3, 0xc000000000L + 3 * 8192 + 7000);
        put(5, "waitsince", 0);
        put(7, "atomicstatus", 6);
        pool.reuse();
        boolean[] unchanged = new boolean[N];
        GoroutineReader.Copied second = reader.copyAll(target, list(N), pool, first, unchanged);
        boolean[] expected = new boolean[N];
        java.util.Arrays.fill(expected, true);
        expected[3] = expected[5] = expected[7] = false;
        assertArrayEquals(expected, unchanged);
        assertEquals(0xc000000000L + 3 * 8192 + 7000, second.startSp(3), "g 3's row read again");
        assertEquals(0, second.decode(5).waitSince());
        assertFalse(second.keepable(5));
        assertTrue(second.dead(7));
        assertEquals(N - 1, second.decode(N - 1).id() - 1);

        // A copy compared with `first`, whose rows `second` took over: nothing counts as unchanged.
        boolean[] stale = new boolean[N];
        reader.copyAll(target, list(N), CopyBuffers.rolling(), first, stale);
        assertArrayEquals(new boolean[N], stale);

        // The list grows by one: a fresh copy, its rows compared with the second's.
        parked(N);
        put(9, "trackingSeq", 200);   // g 9 ran and parked again in the same place
        boolean[] grown = new boolean[N + 1];
        GoroutineReader.Copied third = reader.copyAll(target, list(N + 1), pool, second, grown);
        assertEquals(N + 1, third.size());
        expected = new boolean[N + 1];
        java.util.Arrays.fill(expected, true);
        expected[5] = expected[7] = expected[9] = expected[N] = false;   // 3 has not changed since the second
        assertArrayEquals(expected, grown);
        assertEquals(N + 1, third.decode(N).id());
    }
}
