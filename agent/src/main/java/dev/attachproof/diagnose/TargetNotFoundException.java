package dev.attachproof.diagnose;

/**
 * The pid names no process visible here (never existed, exited, or in another PID namespace),
 * or the process exited while it was being checked ({@link #duringCheck()}).
 */
public final class TargetNotFoundException extends Exception {
    private final int pid;
    private final boolean duringCheck;

    public TargetNotFoundException(int pid, boolean duringCheck) {
        super(duringCheck ? "pid " + pid + " exited during the check" : "no process with pid " + pid + " is visible here");
        this.pid = pid;
        this.duringCheck = duringCheck;
    }

    public int pid() {
        return pid;
    }

    public boolean duringCheck() {
        return duringCheck;
    }
}
