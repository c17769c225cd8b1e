package dev.attachproof.cli;

/** The exit codes of the CLI contract (docs/contract.md). */
public final class ExitCodes {
    public static final int ATTACHABLE = 0;
    public static final int NOT_ATTACHABLE = 1;
    public static final int BAD_INPUT = 2;
    public static final int INTERNAL_ERROR = 3;

    private ExitCodes() {}
}
