package dev.attachproof.cli;

/** Input the user can fix (a wrong pid, a process that is not Go): one line, exit 2. */
public final class BadInputException extends RuntimeException {
    public BadInputException(String message) {
        super(message);
    }
}
