/**
 * Reading a target's memory, in one place below {@code golang}, which reads through
 * {@link dev.attachproof.memory.MemoryReader} only: the readers that ask the kernel
 * ({@link dev.attachproof.memory.SessionMemory} through a ptrace session,
 * {@link dev.attachproof.memory.VmMemory} with process_vm_readv while the target runs) and the one
 * that answers from copies made while it was stopped ({@link dev.attachproof.memory.CapturedMemory},
 * with the {@link dev.attachproof.memory.CopyBuffers} allocated before the stop). The doctor's
 * proof and the goroutine snapshot both read through them, so neither depends on the other.
 */
package dev.attachproof.memory;
