package dev.attachproof.diagnose;

import dev.attachproof.golang.MemoryReader;
import dev.attachproof.linux.CallResult;
import dev.attachproof.ptrace.PtraceSession;

import java.nio.ByteBuffer;

/**
 * Target memory through a ptrace session, for the readers in {@code golang}; a named class, so no
 * lambda is bootstrapped while the target is stopped. A short read is a failure.
 */
public record SessionMemory(PtraceSession session) implements MemoryReader {
    @Override
    public void read(long address, ByteBuffer dst) throws MemoryReadException {
        CallResult<Long> res = session.read(address, dst);
        if (!(res instanceof CallResult.Ok<Long> ok) || ok.value() < dst.remaining()) {
            throw new MemoryReadException(res instanceof CallResult.Failed<Long> f
                    ? f.describe() : "short read at 0x" + Long.toHexString(address));
        }
    }
}
