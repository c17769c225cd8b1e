package dev.attachproof.host;

import dev.attachproof.linux.CallResult;
import dev.attachproof.linux.Errno;
import dev.attachproof.linux.Linux;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;

/**
 * An open file descriptor (standard output) written with write(2) through the bindings, so that a
 * reader that has gone (`attachproof goroutines PID | head`) is EPIPE, an errno, not the words of
 * a Java exception, which follow the C library's locale.
 */
public final class FdOutputStream extends OutputStream {
    /** The reader of the pipe this writes to has gone: what was written so far is all it wanted. */
    public static final class ReaderGone extends IOException {
        ReaderGone(int fd) {
            super("write to file descriptor " + fd + ": EPIPE (the reader of the pipe has gone)");
        }
    }

    private final Linux linux;
    private final int fd;
    private final ByteBuffer one = ByteBuffer.allocateDirect(1);

    public FdOutputStream(Linux linux, int fd) {
        this.linux = linux;
        this.fd = fd;
    }

    /** Standard output. */
    public static FdOutputStream stdout(Linux linux) {
        return new FdOutputStream(linux, 1);
    }

    @Override
    public void write(int b) throws IOException {
        one.clear().put(0, (byte) b);
        writeAll(one);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        writeAll(ByteBuffer.wrap(b, off, len));
    }

    private void writeAll(ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            CallResult<Long> r = linux.write(fd, b);
            if (r instanceof CallResult.Ok<Long> ok) {
                b.position(b.position() + (int) (long) ok.value());
            } else if (r instanceof CallResult.Failed<Long> f && f.errno() == Errno.EPIPE) {
                throw new ReaderGone(fd);
            } else if (r instanceof CallResult.Failed<Long> f && f.errno() == Errno.EAGAIN) {
                java.util.concurrent.locks.LockSupport.parkNanos(100_000);   // a non-blocking descriptor, full
            } else if (r instanceof CallResult.Failed<Long> f && f.errno() != Errno.EINTR) {
                throw new IOException("write to file descriptor " + fd + ": " + f.describe());
            }
        }
    }
}
