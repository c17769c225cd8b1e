package dev.attachproof.diagnose;

import dev.attachproof.linux.Errno;

/**
 * The proof's refused PTRACE_SEIZE, and what a process_vm_readv of a few bytes of the target
 * answered just after it, on the same thread with the same credentials (null when not tried).
 * The two calls ask the same permission rules (ptrace_may_access with
 * PTRACE_MODE_ATTACH_REALCREDS: uids, dumpability, capabilities, Yama, LSMs; process_vm_readv
 * through mm_access, mm/process_vm_access.c), but only ptrace_attach (kernel/ptrace.c) also
 * refuses, with EPERM, a task that already has a tracer ({@code if (task->ptrace)}) or is
 * exiting ({@code if (task->exit_state)}); its other refusals before the rules (a kernel thread,
 * our own thread group) are target.state's or never asked. So EPERM to the seize with the read
 * allowed names a tracer or an exit, and not a permission rule.
 */
public record Refusal(Errno errno, String failedCall, SyscallProbe targetRead) {

    /** Whether the permission rules both calls share let the read through. */
    public boolean accessAllowed() {
        return targetRead != null && "ok".equals(targetRead.observed());
    }
}
