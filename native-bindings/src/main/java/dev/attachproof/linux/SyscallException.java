package dev.attachproof.linux;

/** A failed call where the caller chose to throw rather than branch: still names call and errno. */
public final class SyscallException extends RuntimeException {
    private final transient CallResult.Failed<?> failure;

    public SyscallException(CallResult.Failed<?> failure) {
        super(failure.describe());
        this.failure = failure;
    }

    public CallResult.Failed<?> failure() {
        return failure;
    }

    public Errno errno() {
        return failure.errno();
    }
}
