package dev.attachproof.memory;

import java.nio.ByteBuffer;

/** Reads target memory: fills {@code dst} from its position to its limit, or says why not. */
@FunctionalInterface
public interface MemoryReader {
    /** @throws MemoryReadException when the bytes cannot be read (unmapped, process gone, denied) */
    void read(long address, ByteBuffer dst) throws MemoryReadException;

    /** The little-endian word at {@code address}: a saved PC or SP on the stack. */
    default long word(long address) throws MemoryReadException {
        ByteBuffer b = ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        read(address, b);
        return b.getLong(0);
    }

    /**
     * Whether {@link #readMany} may be called from several threads at once (the kernel copies in
     * parallel on each core). Such a reader may then give up early on a range another method
     * could read; the caller reads those again, from one thread.
     */
    default boolean parallel() {
        return false;
    }

    /**
     * Reads ranges {@code addresses[i]} of {@code lengths[i]} bytes one after the other into
     * {@code dst} (from its position). Returns how many ranges were read whole, in order: a
     * range that cannot be read ends the batch there. One range at a time unless a reader batches
     * (process_vm_readv takes 1,024 ranges a call).
     */
    default int readMany(long[] addresses, int[] lengths, ByteBuffer dst) {
        int pos = dst.position();
        for (int i = 0; i < addresses.length; i++) {
            try {
                read(addresses[i], dst.slice(pos, lengths[i]));
            } catch (MemoryReadException e) {
                return i;
            }
            pos += lengths[i];
        }
        return addresses.length;
    }

    final class MemoryReadException extends Exception {
        public MemoryReadException(String message) {
            super(message);
        }
    }
}
