package dev.attachproof.ptrace;

/** Which threads of the target a session stops. */
public enum StopMode {
    /** Only the thread-group leader: enough to prove the attach and read memory. */
    LEADER,
    /** Every thread, for a consistent snapshot; threads that start meanwhile are caught too. */
    ALL_THREADS
}
