/**
 * Attaching for microseconds. ptrace's tracer is a thread, not a process, so every ptrace and
 * waitpid call for a tracee runs on one dedicated platform thread, the {@link
 * dev.attachproof.ptrace.Tracer}; other threads hand it work. A {@link
 * dev.attachproof.ptrace.PtraceSession} seizes on open and detaches on close, re-injecting any
 * signal it caught while the target was stopped, and the tracer detaches whatever is still open
 * when the JVM shuts down. PTRACE_SEIZE is preferred to PTRACE_ATTACH because a seized tracee is
 * not sent SIGSTOP: if the agent dies, even by SIGKILL, the kernel detaches and the target runs on.
 */
package dev.attachproof.ptrace;
