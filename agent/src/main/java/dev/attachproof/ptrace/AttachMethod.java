package dev.attachproof.ptrace;

/**
 * How a session became the target's tracer (ptrace(2), "Attaching and detaching"). SEIZE
 * (Linux 3.4 and later) attaches without stopping the target or sending it a signal; the session
 * then stops it with PTRACE_INTERRUPT. ATTACH, the fallback where the kernel answers SEIZE with
 * EIO or EINVAL, sends the target a SIGSTOP, which the session must swallow, not pass on.
 */
public enum AttachMethod {
    SEIZE,
    ATTACH
}
