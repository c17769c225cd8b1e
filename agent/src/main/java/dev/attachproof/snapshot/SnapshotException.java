package dev.attachproof.snapshot;

/** Why no snapshot could be taken, in one line that names the cause and, where there is one, the remedy. */
public final class SnapshotException extends Exception {
    public SnapshotException(String message) {
        super(message);
    }
}
