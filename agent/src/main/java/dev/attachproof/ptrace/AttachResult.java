package dev.attachproof.ptrace;

import dev.attachproof.linux.CallResult;

/** How an attach went: attached (the session is open and the target stopped), or why not. */
public sealed interface AttachResult {

    /** Stopped and ours until {@link PtraceSession#close()}; {@code method} is how it attached. */
    record Attached(PtraceSession session, AttachMethod method) implements AttachResult {}

    /** The kernel refused: {@code failure} names the call and errno (EPERM, EACCES, …). */
    record Denied(CallResult.Failed<?> failure) implements AttachResult {}

    /** The process does not exist, or exited while we attached. */
    record NoSuchProcess(int pid, String detail) implements AttachResult {}

    /**
     * Seized, but the target did not reach a stop in time (e.g. stuck in uninterruptible
     * sleep, state D). It was detached again.
     */
    record StopTimedOut(int pid, long waitedMicros) implements AttachResult {}
}
