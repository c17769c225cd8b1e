package dev.attachproof.golang;

import java.nio.ByteBuffer;

/** Reads target memory: fills {@code dst} from its position to its limit, or says why not. */
@FunctionalInterface
public interface MemoryReader {
    /** @throws MemoryReadException when the bytes cannot be read (unmapped, process gone, denied) */
    void read(long address, ByteBuffer dst) throws MemoryReadException;

    final class MemoryReadException extends Exception {
        public MemoryReadException(String message) {
            super(message);
        }
    }
}
