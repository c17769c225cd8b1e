package dev.attachproof.report;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The dump's bytes as the strings they replace would encode them, across the buffer's edge too. */
class DumpBytesTest {
    @Test
    void numbersAsLongToStringWritesThem() throws Exception {
        long[] values = {0, 7, 10, 99, 100, 123_456_789, -1, -10, Long.MAX_VALUE, Long.MIN_VALUE, Long.MIN_VALUE + 1};
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        DumpBytes o = new DumpBytes(out);
        StringBuilder expected = new StringBuilder();
        for (long v : values) {
            o.decimal(v);
            o.ascii(' ');
            expected.append(v).append(' ');
        }
        o.flush();
        assertEquals(expected.toString(), out.toString(StandardCharsets.US_ASCII));
    }

    @Test
    void writesPastTheBufferKeepTheirOrder() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        DumpBytes o = new DumpBytes(out);
        StringBuilder expected = new StringBuilder();
        byte[] big = "é".repeat(50_000).getBytes(StandardCharsets.UTF_8);   // more than the buffer holds
        for (int i = 0; i < 20_000; i++) {
            o.bytes("goroutine ".getBytes(StandardCharsets.US_ASCII));
            o.decimal(i);
            o.bytes("\tfile.go:1\n".getBytes(StandardCharsets.UTF_8));
            expected.append("goroutine ").append(i).append("\tfile.go:1\n");
            if (i % 5_000 == 0) {
                o.bytes(big);
                expected.append("é".repeat(50_000));
            }
        }
        o.flush();
        assertEquals(expected.toString(), out.toString(StandardCharsets.UTF_8));
    }
}
