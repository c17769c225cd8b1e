package dev.attachproof.memory;

import dev.attachproof.linux.CallResult;
import dev.attachproof.linux.Linux;
import dev.attachproof.ptrace.PtraceSession;

import java.nio.ByteBuffer;

/**
 * Target memory through a ptrace session, for the readers in {@code golang}; a named class, so no
 * lambda is bootstrapped while the target is stopped. A short read is a failure.
 */
public record SessionMemory(PtraceSession session) implements MemoryReader {
    @Override
    public void read(long address, ByteBuffer dst) throws MemoryReadException {
        requireWhole(session.read(address, dst), address, dst);
    }

    /** A read that failed, or filled less than {@code dst}, as the reader's exception. */
    static void requireWhole(CallResult<Long> res, long address, ByteBuffer dst) throws MemoryReadException {
        if (!(res instanceof CallResult.Ok<Long> ok) || ok.value() < dst.remaining()) {
            throw new MemoryReadException(res instanceof CallResult.Failed<Long> f
                    ? f.describe() : "short read at 0x" + Long.toHexString(address));
        }
    }

    @Override
    public boolean parallel() {
        return true;
    }

    /**
     * process_vm_readv over many ranges at once; range by range from where that stops, with the
     * session's fallbacks, on the tracer thread only (a helper thread stops there instead: its
     * caller reads the rest from the tracer thread).
     */
    @Override
    public int readMany(long[] addresses, int[] lengths, ByteBuffer dst) {
        return readMany(this, session::readScattered, session.onTracerThread(), addresses, lengths, dst);
    }

    /** One process_vm_readv of up to {@link Linux#IOV_MAX} ranges. */
    @FunctionalInterface
    interface Scatter {
        CallResult<Long> read(long[] addresses, int[] lengths, ByteBuffer dst);
    }

    /**
     * {@link MemoryReader#readMany} by {@code scatter}, {@link Linux#IOV_MAX} ranges a call; from a
     * range the kernel stops at, one read by {@code single} when {@code mayFallBack} (else the
     * count so far).
     */
    static int readMany(MemoryReader single, Scatter scatter, boolean mayFallBack,
                        long[] addresses, int[] lengths, ByteBuffer dst) {
        int done = 0;
        int pos = dst.position();
        while (done < addresses.length) {
            int n = Math.min(addresses.length - done, Linux.IOV_MAX);
            long[] a = java.util.Arrays.copyOfRange(addresses, done, done + n);
            int[] l = java.util.Arrays.copyOfRange(lengths, done, done + n);
            CallResult<Long> r = scatter.read(a, l, dst.slice(pos, dst.limit() - pos));
            long got = r instanceof CallResult.Ok<Long> ok ? ok.value() : 0;
            int whole = 0;
            for (long sum = 0; whole < n && sum + l[whole] <= got; whole++) {
                sum += l[whole];
                pos += l[whole];
            }
            done += whole;
            if (whole < n && !mayFallBack) {
                return done;
            }
            if (whole < n) {
                // The range the kernel stopped at (or all of them, where process_vm_readv is
                // refused): one read, with the reader's fallbacks; a failure ends the batch.
                try {
                    single.read(addresses[done], dst.slice(pos, lengths[done]));
                } catch (MemoryReadException e) {
                    return done;
                }
                pos += lengths[done];
                done++;
            }
        }
        return done;
    }
}
