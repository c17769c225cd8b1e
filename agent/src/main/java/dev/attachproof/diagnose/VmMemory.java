package dev.attachproof.diagnose;

import dev.attachproof.golang.MemoryReader;
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
}
