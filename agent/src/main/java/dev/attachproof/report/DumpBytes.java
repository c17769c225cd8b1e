package dev.attachproof.report;

import java.io.IOException;
import java.io.OutputStream;

/**
 * The bytes of a text dump on their way to a stream: gathered in one buffer and handed on 64 KB
 * at a time, ASCII and decimal numbers written in place, so that a dump of 100,000 goroutines
 * makes no object per goroutine (the lines that repeat are encoded once, by the caller, and
 * copied in).
 */
final class DumpBytes {
    private final OutputStream out;
    private final byte[] buf = new byte[1 << 16];
    private int n;

    DumpBytes(OutputStream out) {
        this.out = out;
    }

    void bytes(byte[] b) throws IOException {
        if (b.length > buf.length - n) {
            flush();
            if (b.length > buf.length) {
                out.write(b);
                return;
            }
        }
        System.arraycopy(b, 0, buf, n, b.length);
        n += b.length;
    }

    void ascii(char c) throws IOException {
        if (n == buf.length) {
            flush();
        }
        buf[n++] = (byte) c;
    }

    /** {@code v} in decimal, as {@link Long#toString(long)} writes it. */
    void decimal(long v) throws IOException {
        if (v == Long.MIN_VALUE) {
            bytes(Long.toString(v).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            return;
        }
        if (20 > buf.length - n) {
            flush();
        }
        if (v < 0) {
            buf[n++] = '-';
            v = -v;
        }
        // The digits from the last, into the end of a scratch, then copied: one division a digit.
        int at = digits.length;
        while (v > Integer.MAX_VALUE) {
            long q = v / 10;
            digits[--at] = (byte) ('0' + (v - q * 10));
            v = q;
        }
        int i = (int) v;
        do {
            int q = i / 10;
            digits[--at] = (byte) ('0' + (i - q * 10));
            i = q;
        } while (i != 0);
        int len = digits.length - at;
        System.arraycopy(digits, at, buf, n, len);
        n += len;
    }

    private final byte[] digits = new byte[20];

    /** Hands what is gathered to the stream (not flushing the stream itself). */
    void flush() throws IOException {
        out.write(buf, 0, n);
        n = 0;
    }
}
