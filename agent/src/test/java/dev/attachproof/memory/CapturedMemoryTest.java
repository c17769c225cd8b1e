package dev.attachproof.memory;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The copies the snapshot makes before and during a stop, on a fake target: a copy made again
 * reads the same ranges into the same places, batch by batch; a union keeps the chosen ranges
 * of one copy and every range of another, and nothing else.
 */
class CapturedMemoryTest {
    /** A target whose memory is {@code bytes} at {@code BASE}; reads past it fail. */
    private static final long BASE = 0x10000;

    private static MemoryReader target(byte[] bytes) {
        return (address, dst) -> {
            long off = address - BASE;
            if (off < 0 || off + dst.remaining() > bytes.length) {
                throw new MemoryReader.MemoryReadException("unmapped 0x" + Long.toHexString(address));
            }
            dst.duplicate().put(bytes, (int) off, dst.remaining());
        };
    }

    private static byte[] filled(int size, int seed) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[i] = (byte) (i * 31 + seed);
        }
        return b;
    }

    private static byte[] read(MemoryReader m, long address, int length) throws MemoryReader.MemoryReadException {
        ByteBuffer b = ByteBuffer.allocate(length);
        m.read(address, b);
        return b.array();
    }

    private static byte[] slice(byte[] b, long address, int length) {
        return java.util.Arrays.copyOfRange(b, (int) (address - BASE), (int) (address - BASE) + length);
    }

    @Test
    void aCopyMadeAgainReadsTheSameRangesAnewIntoTheSamePlaces() throws Exception {
        // 25,000 g-sized ranges 416 bytes apart, as g's lie in their spans: merged into ranges of
        // up to 4 MB, read in several batches.
        int n = 25_000;
        byte[] memory = filled(n * 416 + 4096, 1);
        long[] addresses = new long[n];
        int[] lengths = new int[n];
        for (int i = 0; i < n; i++) {
            addresses[i] = BASE + (long) (n - 1 - i) * 416;   // given out of order, as allgs gives them
            lengths[i] = 392;
        }
        CapturedMemory first = CapturedMemory.copy(target(memory), addresses, lengths, new CopyBuffers());
        int[] range = new int[n];
        for (int i = 0; i < n; i++) {
            range[i] = first.find(addresses[i], 392);
            assertTrue(range[i] >= 0);
        }
        byte[] changed = filled(memory.length, 7);
        List<Integer> batches = new ArrayList<>();
        CapturedMemory again = first.copyAgain(target(changed), new CopyBuffers(), (batch, buffer) -> {
            synchronized (batches) {
                batches.add(batch);
            }
        });
        assertNotNull(again);
        assertEquals(first.batches(), batches.size(), "each batch handed over once");
        for (int i = 0; i < n; i++) {
            int r = range[i];
            assertEquals(r, again.find(addresses[i], 392), "the same range");
            assertEquals(first.rangeOffset(r, addresses[i]), again.rangeOffset(r, addresses[i]), "at the same offset");
            assertTrue(batches.contains(first.batchOf(r)));
            assertArrayEquals(slice(changed, addresses[i], 392), read(again, addresses[i], 392), "the new bytes");
            assertArrayEquals(slice(memory, addresses[i], 392), read(first, addresses[i], 392), "the first copy stays");
        }
    }

    @Test
    void aCopyThatCannotBeMadeAgainWholeIsNone() throws Exception {
        byte[] memory = filled(64 * 1024, 1);
        long[] addresses = {BASE, BASE + 20_000, BASE + 40_000};
        int[] lengths = {392, 392, 392};
        CapturedMemory first = CapturedMemory.copy(target(memory), addresses, lengths, new CopyBuffers());
        assertNull(first.copyAgain(target(new byte[30_000]), new CopyBuffers()), "the last range is gone");
        // A copy with a range left out is not made again either.
        CapturedMemory partial = CapturedMemory.copy(target(new byte[30_000]), addresses, lengths, new CopyBuffers());
        assertNull(partial.copyAgain(target(memory), new CopyBuffers()));
    }

    @Test
    void aUnionHoldsTheKeptRangesOfTheFirstAndAllOfTheSecond() throws Exception {
        byte[] before = filled(64 * 1024, 1);
        byte[] after = filled(64 * 1024, 9);
        long[] stacks = {BASE + 1000, BASE + 9000, BASE + 17000, BASE + 25000};
        int[] lengths = {500, 600, 700, 800};
        CapturedMemory a = CapturedMemory.copyAsGiven(target(before), stacks, lengths, new CopyBuffers());
        for (int i = 0; i < stacks.length; i++) {
            assertTrue(a.copiedAsGiven(i));
        }
        // Ranges 0 and 2 stand; 1 and 3 were copied again (3 at another place: its stack moved).
        CapturedMemory b = CapturedMemory.copyAsGiven(target(after), new long[] {BASE + 9000, BASE + 40000},
                new int[] {600, 900}, new CopyBuffers());
        CapturedMemory u = CapturedMemory.union(a, new int[] {2, 0, 3}, 2, b);
        assertTrue(u.copiedAsGiven(0) && u.copiedAsGiven(1) && u.copiedAsGiven(2) && u.copiedAsGiven(3));
        assertFalse(u.copiedAsGiven(4));
        assertArrayEquals(slice(before, BASE + 17000, 700), read(u, BASE + 17000, 700));
        assertArrayEquals(slice(before, BASE + 1000, 500), read(u, BASE + 1000, 500));
        assertArrayEquals(slice(after, BASE + 9000, 600), read(u, BASE + 9000, 600));
        assertArrayEquals(slice(after, BASE + 40000, 900), read(u, BASE + 40000, 900));
        assertThrows(MemoryReader.MemoryReadException.class, () -> read(u, BASE + 25000, 8), "range 3 of the first was left out");
        assertFalse(u.copiedAsGiven(0), "once read, its ranges are sorted: no longer as given");
        assertThrows(IllegalStateException.class, () -> CapturedMemory.union(u, new int[] {0}, 1, b));
    }

    @Test
    void anotherThreadsReaderReadsTheSameCopies() throws Exception {
        byte[] memory = filled(64 * 1024, 3);
        long[] stacks = {BASE + 40000, BASE + 1000, BASE + 20000};   // as given: unsorted
        int[] lengths = {4096, 2048, 8192};
        CapturedMemory a = CapturedMemory.copyAsGiven(target(memory), stacks, lengths, new CopyBuffers());
        CapturedMemory b = a.forAnotherThread();
        for (int i = 0; i < stacks.length; i++) {
            for (long at = stacks[i]; at + 8 <= stacks[i] + lengths[i]; at += 512) {
                assertEquals(a.word(at), b.word(at));
                assertArrayEquals(slice(memory, at, 8), read(b, at, 8));
            }
        }
        assertThrows(MemoryReader.MemoryReadException.class, () -> b.word(BASE + 30000), "not copied");
    }

    @Test
    void aRollingPoolHandsEveryRangeOverOnceThroughAFewBuffers() throws Exception {
        // 100,000 g-sized ranges, 41 MB: read in ten or more 4 MB batches, each handed over and
        // its memory taken back, so the pool never holds more than the batches read at once.
        int n = 100_000;
        byte[] memory = filled(n * 416 + 4096, 3);
        long[] addresses = new long[n];
        int[] lengths = new int[n];
        for (int i = 0; i < n; i++) {
            addresses[i] = BASE + (long) ((i * 7919) % n) * 416;   // every slot once, out of order
            lengths[i] = 392;
        }
        CopyBuffers pool = CopyBuffers.rolling();
        int[] handed = new int[n];
        byte[][] seen = new byte[n][];
        CapturedMemory.copy(target(memory), addresses, lengths, pool, (part, buffer, offset) -> {
            byte[] b = new byte[lengths[part]];
            buffer.get(offset, b);
            seen[part] = b;
            handed[part]++;
        });
        for (int i = 0; i < n; i++) {
            assertEquals(1, handed[i], "range " + i + " handed over once");
            assertArrayEquals(slice(memory, addresses[i], 392), seen[i], "range " + i + "'s bytes");
        }
        assertTrue(pool.taken() > 40_000_000, "the batches took " + pool.taken());
        assertTrue(pool.capacity() <= 3 * (4 << 20), "a rolling pool of " + pool.capacity() + " bytes");
        // An ordinary pool keeps every batch.
        CopyBuffers kept = new CopyBuffers();
        CapturedMemory.copy(target(memory), addresses, lengths, kept, (part, buffer, offset) -> { });
        assertTrue(kept.capacity() >= 40_000_000, "an ordinary pool of " + kept.capacity() + " bytes");
    }

    @Test
    void aRangeWhoseBatchFailedIsNotHandedOverButReadFromTheCopy() throws Exception {
        // Two ranges far apart (two merged ranges, one batch); the batch's read stops after the
        // first, and the second is then read alone: only the first is handed over, the second
        // is in the copy, in memory the rolling pool did not take back.
        byte[] memory = filled(64 * 1024, 5);
        long[] addresses = {BASE + 100, BASE + 50_000};
        int[] lengths = {64, 64};
        MemoryReader shortReads = new MemoryReader() {
            @Override
            public void read(long address, ByteBuffer dst) throws MemoryReadException {
                target(memory).read(address, dst);
            }

            @Override
            public int readMany(long[] as, int[] ls, ByteBuffer dst) {
                int done = MemoryReader.super.readMany(as, ls, dst);
                return as.length > 1 ? Math.min(done, 1) : done;
            }
        };
        CopyBuffers pool = CopyBuffers.rolling();
        boolean[] handed = new boolean[2];
        CapturedMemory c = CapturedMemory.copy(shortReads, addresses, lengths, pool, (part, buffer, offset) -> handed[part] = true);
        assertFalse(handed[0], "its batch was not read whole");
        assertFalse(handed[1]);
        for (int i = 0; i < 2; i++) {
            assertArrayEquals(slice(memory, addresses[i], 64), read(c, addresses[i], 64), "range " + i + " from the copy");
        }
    }

    @Test
    void rangesReadAloneThroughARollingPoolTakeTheirOwnSizeNotABatchBuffer() throws Exception {
        // 20,000 g-sized ranges whose batches all fail, each range then read alone: a target that
        // died during the copy fails them all, one whose batch read stopped short succeeds them
        // one by one. Neither may cost a 4 MB batch buffer per range (it ran out of direct
        // memory at 200 MB with a killed 20,000-goroutine target).
        int n = 20_000;
        byte[] memory = filled(n * 416 + 4096, 7);
        long[] addresses = new long[n];
        int[] lengths = new int[n];
        for (int i = 0; i < n; i++) {
            addresses[i] = BASE + (long) i * 416;
            lengths[i] = 392;
        }
        MemoryReader dead = new MemoryReader() {
            @Override
            public void read(long address, ByteBuffer dst) throws MemoryReadException {
                throw new MemoryReadException("the process exited");
            }

            @Override
            public int readMany(long[] as, int[] ls, ByteBuffer dst) {
                return 0;
            }
        };
        CopyBuffers pool = CopyBuffers.rolling();
        CapturedMemory none = CapturedMemory.copy(dead, addresses, lengths, pool, (part, buffer, offset) -> fail("nothing was read"));
        assertThrows(MemoryReader.MemoryReadException.class, () -> none.word(addresses[0]));
        assertTrue(pool.capacity() <= 3 * (4 << 20), "a dead target's copy left a pool of " + pool.capacity() + " bytes");

        MemoryReader aloneOnly = new MemoryReader() {
            @Override
            public void read(long address, ByteBuffer dst) throws MemoryReadException {
                target(memory).read(address, dst);
            }

            @Override
            public int readMany(long[] as, int[] ls, ByteBuffer dst) {
                // A batch (merged ranges, or several) fails; one g alone is read.
                return as.length > 1 || ls[0] > 392 ? 0 : MemoryReader.super.readMany(as, ls, dst);
            }
        };
        CopyBuffers alone = CopyBuffers.rolling();
        CapturedMemory c = CapturedMemory.copy(aloneOnly, addresses, lengths, alone, (part, buffer, offset) -> { });
        for (int i = 0; i < n; i += 997) {
            assertArrayEquals(slice(memory, addresses[i], 392), read(c, addresses[i], 392), "range " + i + " from the copy");
        }
        assertTrue(alone.capacity() <= 3 * (4 << 20) + 2L * n * 392, "ranges read alone held " + alone.capacity() + " bytes");
    }

    @Test
    void aFreedChunkOfAFreeablePoolFailsItsReadsAndNoOther() throws Exception {
        // 3,000 ranges of 2 KB apart, as stacks' used parts lie: 6 MB in chunks that double from 64 KB.
        int n = 3_000;
        byte[] memory = filled(n * 4096, 9);
        long[] addresses = new long[n];
        int[] lengths = new int[n];
        for (int i = 0; i < n; i++) {
            addresses[i] = BASE + (long) i * 4096 + 2048;
            lengths[i] = 2048;
        }
        CopyBuffers pool = CopyBuffers.freeable();
        CapturedMemory c = CapturedMemory.copyAsGiven(target(memory), addresses, lengths, pool);
        assertTrue(pool.chunkCount() >= 3, pool.chunkCount() + " chunks");
        int[] chunk = new int[n];
        for (int i = 0; i < n; i++) {
            chunk[i] = pool.chunkOf(c.givenBuffer(i));
            assertTrue(chunk[i] >= 0 && (i == 0 || chunk[i] >= chunk[i - 1]), "range " + i + " in chunk " + chunk[i]);
        }
        assertEquals(-1, pool.chunkOf(java.nio.ByteBuffer.allocateDirect(8)), "a buffer the pool did not give");
        pool.free(chunk[0]);
        pool.free(chunk[0]);   // twice: nothing more
        for (int i = 0; i < n; i++) {
            long a = addresses[i];
            if (chunk[i] == chunk[0]) {
                MemoryReader.MemoryReadException e = assertThrows(MemoryReader.MemoryReadException.class, () -> c.word(a));
                assertTrue(e.getMessage().contains("freed"), e.getMessage());
            } else {
                assertArrayEquals(slice(memory, a, 2048), read(c, a, 2048), "range " + i);
            }
        }
        pool.freeAll();
        assertThrows(MemoryReader.MemoryReadException.class, () -> c.word(addresses[n - 1]));
    }

    @Test
    void aPackedCopyReadsMergedAndHoldsEachRangeWhereACopyAsGivenWould() throws Exception {
        // 4,000 stacks of 2 KB side by side, the used part of each at its top, given in a
        // shuffled order (allgs order is not address order); one stack lies in a hole, so the
        // merged read that holds it fails and its parts are read alone (the others succeed).
        int n = 4_000;
        byte[] memory = filled(n * 2048, 11);
        long hole = BASE + 1_000L * 2048;
        MemoryReader withHole = new MemoryReader() {
            @Override
            public void read(long address, ByteBuffer dst) throws MemoryReadException {
                if (address < hole + 2048 && address + dst.remaining() > hole) {
                    throw new MemoryReadException("unmapped 0x" + Long.toHexString(address));
                }
                target(memory).read(address, dst);
            }
        };
        List<Integer> shuffled = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            shuffled.add(i);
        }
        java.util.Collections.shuffle(shuffled, new java.util.Random(3));
        long[] addresses = new long[n];
        int[] lengths = new int[n];
        for (int i = 0; i < n; i++) {
            lengths[i] = 100 + 7 * (i % 200);
            addresses[i] = BASE + (long) shuffled.get(i) * 2048 + 2048 - lengths[i];
        }
        int[] reads = {0};
        MemoryReader counted = (address, dst) -> {
            reads[0]++;
            target(memory).read(address, dst);
        };
        CapturedMemory.copyPacked(counted, addresses, lengths, CopyBuffers.freeable(), CopyBuffers.rolling());
        assertTrue(reads[0] <= 4, reads[0] + " reads of 8 MB of stacks side by side, merged up to 4 MB");
        CopyBuffers packedPool = CopyBuffers.freeable();
        CapturedMemory packed = CapturedMemory.copyPacked(withHole, addresses, lengths, packedPool, CopyBuffers.rolling());
        CopyBuffers givenPool = CopyBuffers.freeable();
        CapturedMemory given = CapturedMemory.copyAsGiven(withHole, addresses, lengths, givenPool);
        for (int i = 0; i < n; i++) {
            boolean inHole = addresses[i] >= hole && addresses[i] < hole + 2048;
            assertEquals(!inHole, packed.copiedAsGiven(i), "range " + i);
            if (given.copiedAsGiven(i)) {
                // Where a copy as given holds it: the same chunk, so chunks are freed in the order given.
                // (A copy as given appends the ranges of a failed batch that it reads alone.)
                assertEquals(givenPool.chunkOf(given.givenBuffer(i)), packedPool.chunkOf(packed.givenBuffer(i)), "range " + i);
                assertEquals(given.givenWord(i, 3), packed.givenWord(i, 3), "range " + i);
            }
        }
        for (int i = 0; i < n; i++) {
            if (packed.copiedAsGiven(i)) {
                assertArrayEquals(slice(memory, addresses[i], lengths[i]), read(packed, addresses[i], lengths[i]), "range " + i);
            }
        }
        assertThrows(MemoryReader.MemoryReadException.class, () -> packed.word(hole + 2040));
    }

    @Test
    void anExpectedRangeIsFoundAndAWrongExpectationStillFindsTheRightOne() throws Exception {
        byte[] memory = filled(64 * 1024, 13);
        long[] addresses = {BASE + 40_000, BASE + 100, BASE + 20_000, BASE + 60_000};
        int[] lengths = {256, 256, 256, 256};
        CapturedMemory c = CapturedMemory.copyAsGiven(target(memory), addresses, lengths, new CopyBuffers());
        for (int given = 0; given < addresses.length; given++) {
            for (int other = 0; other < addresses.length; other++) {
                c.expect(given);   // right when other == given, wrong otherwise
                assertArrayEquals(slice(memory, addresses[other] + 8, 16), read(c, addresses[other] + 8, 16),
                        "range " + other + " read after range " + given + " was expected");
            }
        }
        c.expect(-1);
        c.expect(99);   // out of range: ignored
        assertArrayEquals(slice(memory, addresses[3], 8), read(c, addresses[3], 8));
    }
}
