package dev.attachproof.linux;

/**
 * What waitpid(2) reported for one child or tracee: the pid and the raw status word, decoded
 * the way {@code <sys/wait.h>}'s macros decode it. A pid of 0 means WNOHANG found nothing yet.
 */
public record WaitStatus(int pid, int status) {

    public boolean nothingYet() {
        return pid == 0;
    }

    public boolean exited() {              // WIFEXITED
        return (status & 0x7f) == 0;
    }

    public int exitCode() {                // WEXITSTATUS
        return (status >> 8) & 0xff;
    }

    public boolean signaled() {            // WIFSIGNALED
        return ((status & 0x7f) + 1) >> 1 > 0 && !stopped();
    }

    public int termSignal() {              // WTERMSIG
        return status & 0x7f;
    }

    public boolean stopped() {             // WIFSTOPPED
        return (status & 0xff) == 0x7f;
    }

    public int stopSignal() {              // WSTOPSIG
        return (status >> 8) & 0xff;
    }

    /** The PTRACE_EVENT_* number of a ptrace event stop ({@code status >> 16}), 0 for none. */
    public int ptraceEvent() {
        return stopped() ? (status >> 16) & 0xff : 0;
    }
}
