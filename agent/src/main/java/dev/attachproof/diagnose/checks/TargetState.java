package dev.attachproof.diagnose.checks;

import dev.attachproof.diagnose.Check;
import dev.attachproof.diagnose.Finding;
import dev.attachproof.diagnose.TargetFacts;
import dev.attachproof.diagnose.TracerFacts;

/**
 * target.state: ptrace_attach refuses a task that is exiting (EPERM on exit_state), so a zombie
 * cannot be attached; a job-control stop or an uninterruptible sleep delays or outlives the proof.
 */
public final class TargetState implements Check {
    public String id() {
        return "target.state";
    }

    public Finding evaluate(TracerFacts tracer, TargetFacts target) {
        if (target == null) {
            return Finding.of(id()).skip("no target pid given");
        }
        Finding.Builder f = Finding.of(id())
                .evidence("file", "/proc/" + target.pid() + "/status")
                .evidence("State", target.status().stateText());
        return switch (target.status().state()) {
            case 'Z' -> f.fail("a zombie: it has exited and waits for its parent to reap it",
                    "nothing is left to debug; find why it exited (its parent, pid " + target.status().ppid() + ", should wait() for it)");
            case 'X' -> f.fail("dead: exiting now", "nothing is left to debug");
            case 'T' -> f.warn("stopped by a job-control signal (SIGSTOP/SIGTSTP): attach works, and it stays stopped",
                    "continue it with kill -CONT " + target.pid() + " when you are done");
            case 't' -> f.warn("in a tracing stop: another tracer holds it (see target.traced)", null);
            case 'D' -> f.warn("in uninterruptible sleep (D): the attach stop waits until the call returns",
                    "if this lasts, the process is blocked in the kernel (I/O, NFS, a stuck device)");
            default -> f.pass("running or sleeping (" + target.status().stateText() + ")");
        };
    }
}
