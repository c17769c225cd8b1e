/**
 * Knowledge of the Go runtime inside a target. It sees target memory only through
 * {@link dev.attachproof.memory.MemoryReader}, so everything here can be tested on captured
 * memory; where the bytes come from (process_vm_readv, /proc/PID/mem, PTRACE_PEEKDATA) is the
 * ptrace layer's business. What differs between targets is asked of two objects chosen once per
 * target, never branched on where it is used: an {@link dev.attachproof.golang.Arch} for the CPU
 * (the frame rules, the link register, the registers, the code's data references) and a {@link
 * dev.attachproof.golang.GoRuntime} for the Go release (layouts, pclntab, the traceback's and the
 * profile's rules). A stack is read in two steps, as Go's traceback is written: the unwinder
 * walks the physical frames by the CPU's rules, {@link dev.attachproof.golang.Traceback} applies
 * Go's printing policy to them.
 */
package dev.attachproof.golang;
