package dev.attachproof.linux;

import java.nio.ByteBuffer;

/** The arguments of a scattered process_vm_readv, checked the same way by both bindings. */
final class Scatter {
    private Scatter() {}

    /** The bytes the ranges add up to; throws when there are too many ranges or too small a buffer. */
    static long total(long[] addresses, int[] lengths, ByteBuffer destination) {
        int n = addresses.length;
        if (n != lengths.length || n > Linux.IOV_MAX) {
            throw new IllegalArgumentException(n + " ranges (at most " + Linux.IOV_MAX + ", one length each)");
        }
        long total = 0;
        for (int len : lengths) {
            if (len < 0) {
                throw new IllegalArgumentException("negative length " + len);
            }
            total += len;
        }
        if (total > destination.remaining()) {
            throw new IllegalArgumentException(total + " bytes into a buffer of " + destination.remaining());
        }
        return total;
    }
}
