package dev.attachproof.diagnose;

/** The pid names no process visible here (never existed, exited, or in another PID namespace). */
public final class TargetNotFoundException extends Exception {
    private final int pid;

    public TargetNotFoundException(int pid) {
        super("no process with pid " + pid + " is visible here");
        this.pid = pid;
    }

    public int pid() {
        return pid;
    }
}
