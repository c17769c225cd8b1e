/**
 * Knowledge of the Go runtime inside a target. It sees target memory only through
 * {@link dev.attachproof.golang.MemoryReader}, so everything here can be tested on captured
 * memory; where the bytes come from (process_vm_readv, /proc/PID/mem, PTRACE_PEEKDATA) is the
 * ptrace layer's business.
 */
package dev.attachproof.golang;
