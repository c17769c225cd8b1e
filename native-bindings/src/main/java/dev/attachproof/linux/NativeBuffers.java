package dev.attachproof.linux;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/** The native address of a direct buffer, for calls that take an address in our own memory. */
public final class NativeBuffers {
    private NativeBuffers() {}

    public static long address(ByteBuffer direct) {
        if (!direct.isDirect()) {
            throw new IllegalArgumentException("not a direct buffer");
        }
        return MemorySegment.ofBuffer(direct).address();
    }
}
