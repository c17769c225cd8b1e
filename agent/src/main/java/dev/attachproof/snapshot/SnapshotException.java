package dev.attachproof.snapshot;

/** Why no snapshot could be taken, in one line that names the cause and, where there is one, the remedy. */
public final class SnapshotException extends Exception {
    private final boolean exited;

    public SnapshotException(String message) {
        this(message, false);
    }

    private SnapshotException(String message, boolean exited) {
        super(message);
        this.exited = exited;
    }

    /** The target exited, or was killed, while the snapshot was being taken: an ordinary event in production. */
    static SnapshotException exited(int pid) {
        return new SnapshotException("process " + pid + " exited during the snapshot", true);
    }

    /** Whether the target was there when the snapshot began and exited before it was done. */
    public boolean exited() {
        return exited;
    }
}
