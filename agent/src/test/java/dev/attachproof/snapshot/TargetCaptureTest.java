package dev.attachproof.snapshot;

import dev.attachproof.memory.MemoryReader;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The capture file and its recorder: what a read and a batched read returned is kept, the file
 * reads back field for field, and the replayed memory serves reads within what was kept (ranges
 * that overlap or touch read as one) and refuses the rest.
 */
class TargetCaptureTest {
    /** Memory whose byte at address a is (a & 0xff). */
    private static final MemoryReader COUNTING = (address, dst) -> {
        for (int i = 0; i < dst.remaining(); i++) {
            dst.put(dst.position() + i, (byte) (address + i));
        }
    };

    @Test
    void recordsReadsAndBatchesAndReadsThemBack() throws Exception {
        TargetCapture.Recorder r = new TargetCapture.Recorder(COUNTING);
        ByteBuffer one = ByteBuffer.allocate(16).position(4);
        r.read(0x1000, one);
        assertEquals(4, one.position(), "the position stays where the reader found it");
        ByteBuffer batch = ByteBuffer.allocate(24);
        assertEquals(2, r.readMany(new long[] {0x1008, 0x2000}, new int[] {16, 8}, batch));
        TargetCapture c = new TargetCapture("go1.22.0", "arm64", "a/b/c/d", 42, 0x5000, 123456789L, null,
                Map.of(7, new long[] {1, 2, 3}), r.ranges(), "goroutine 1 [running]:\n");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        c.write(out);
        TargetCapture back = TargetCapture.read(new ByteArrayInputStream(out.toByteArray()));
        assertEquals(List.of("go1.22.0", "arm64", "a/b/c/d", 42, 0x5000L, 123456789L, "", "goroutine 1 [running]:\n"),
                List.of(back.goVersion(), back.arch(), back.goBuildId(), back.pid(), back.bias(), back.takenNanos(),
                        back.environGodebug(), back.text()));
        assertArrayEquals(new long[] {1, 2, 3}, back.registers().get(7));
        assertEquals(12 + 16 + 8, back.memoryBytes());

        MemoryReader mem = back.memory();
        ByteBuffer w = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        mem.read(0x1004, w);   // across the read at 0x1000 (12 bytes) and the batch's range at 0x1008
        assertEquals(0x0b0a090807060504L, w.getLong(0));
        assertEquals(0x0706050403020100L, mem.word(0x2000));
        assertThrows(MemoryReader.MemoryReadException.class, () -> mem.word(0x2004), "past what was kept");
        assertThrows(MemoryReader.MemoryReadException.class, () -> mem.word(0x3000), "never read");
    }
}
