package dev.attachproof.service;

/**
 * The target named cannot be served: one line naming the cause and the remedy. The command line
 * exits 2 on it; the sidecar answers 404 ({@link Reason#NOT_FOUND}), 422 ({@link Reason#UNSUITABLE}), 410
 * ({@link Reason#EXITED}) or 400 ({@link Reason#AMBIGUOUS}).
 */
public final class TargetException extends RuntimeException {
    /** Why: no such process here, or a process that is there and cannot be served. */
    public enum Reason {
        /** No process with that pid is visible from our PID namespace (never was, exited, or hidden). */
        NOT_FOUND,
        /** The process is there, but is not Go, cannot be attached, or runs a Go release we cannot read. */
        UNSUITABLE,
        /** The process was there and exited (or was killed) while it was being read: 410 Gone. */
        EXITED,
        /** The name given (a container id prefix) fits more than one target: the caller must say which. */
        AMBIGUOUS
    }

    private final Reason reason;

    public TargetException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
