package dev.attachproof.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Overwrites windows of a real binary in place, and puts the bytes back on {@link #close}: the
 * structured fuzz tests aim the fuzzer's bytes at one table of a 2 MB binary (a random byte
 * flip anywhere would almost never land there) without copying the binary for every input.
 */
final class Window implements AutoCloseable {
    /** The longest window one patch writes. */
    static final int MAX_PATCH = 48;

    private final byte[] image;
    private final Deque<int[]> offsets = new ArrayDeque<>();
    private final Deque<byte[]> saved = new ArrayDeque<>();

    Window(byte[] image) {
        this.image = image;
    }

    /** Overwrites bytes at a fuzzer-chosen offset in [from, to) with fuzzer bytes (at most MAX_PATCH, not past {@code to}). */
    void patch(FuzzedDataProvider data, long from, long to) {
        if (from < 0 || to > image.length || from >= to) {
            return;
        }
        int at = (int) (from + data.consumeLong(0, to - from - 1));
        write(at, data.consumeBytes((int) Math.min(data.consumeInt(1, MAX_PATCH), to - at)));
    }

    void putLong(long at, long value) {
        write(at, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(value).array());
    }

    void putInt(long at, int value) {
        write(at, ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(value).array());
    }

    void putByte(long at, int value) {
        write(at, new byte[] {(byte) value});
    }

    private void write(long at, byte[] bytes) {
        int n = (int) Math.min(bytes.length, image.length - at);
        if (at < 0 || n <= 0) {
            return;
        }
        byte[] old = new byte[n];
        System.arraycopy(image, (int) at, old, 0, n);
        offsets.push(new int[] {(int) at});
        saved.push(old);
        System.arraycopy(bytes, 0, image, (int) at, n);
    }

    /** Puts the original bytes back, last patch first (patches may overlap). */
    @Override
    public void close() {
        while (!offsets.isEmpty()) {
            byte[] old = saved.pop();
            System.arraycopy(old, 0, image, offsets.pop()[0], old.length);
        }
    }
}
