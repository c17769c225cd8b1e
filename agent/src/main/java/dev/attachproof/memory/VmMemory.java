package dev.attachproof.memory;

import dev.attachproof.linux.Linux;

import java.nio.ByteBuffer;

/**
 * Target memory without ptrace: process_vm_readv on a process that runs on (a --no-stop read).
 * A short read is a failure.
 */
public record VmMemory(Linux linux, int pid) implements MemoryReader {
    @Override
    public void read(long address, ByteBuffer dst) throws MemoryReadException {
        SessionMemory.requireWhole(linux.processVmReadv(pid, address, dst), address, dst);
    }

    /** Any thread may read: nothing here is tied to a tracer. */
    @Override
    public boolean parallel() {
        return true;
    }

    /** process_vm_readv, {@link Linux#IOV_MAX} ranges a call. */
    @Override
    public int readMany(long[] addresses, int[] lengths, ByteBuffer dst) {
        return SessionMemory.readMany(this, (a, l, d) -> linux.processVmReadv(pid, a, l, d), true, addresses, lengths, dst);
    }
}
