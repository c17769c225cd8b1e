package dev.attachproof.diagnose.checks;

import dev.attachproof.diagnose.Check;
import dev.attachproof.diagnose.Finding;
import dev.attachproof.diagnose.KernelRules;
import dev.attachproof.diagnose.TargetFacts;
import dev.attachproof.diagnose.TracerFacts;

/**
 * target.state: what the target task is, as ptrace_attach (kernel/ptrace.c) tests it before any
 * permission check. It refuses a kernel thread (PF_KTHREAD) and a task that is exiting
 * (exit_state), both with EPERM, so neither a kernel thread nor a zombie can be attached; a
 * job-control stop or an uninterruptible sleep delays or outlives the proof.
 */
public final class TargetState implements Check {
    /** Evidence key set (true) on the finding of a kernel thread, for front ends that refuse to serve one. */
    public static final String KERNEL_THREAD = "kernelThread";

    /** What to do about a kernel thread, wherever one is named. */
    public static final String KERNEL_THREAD_REMEDY = "no debugger can attach to a kernel thread: it runs kernel code "
            + "and has no executable; `attachproof ps` lists the Go processes";

    /** The finding's words for kernel thread {@code pid}, which the engine also gives when it refuses one. */
    public static String kernelThread(int pid) {
        return "a kernel thread (PF_KTHREAD in /proc/" + pid + "/stat): the kernel refuses ptrace on every kernel "
                + "thread (EPERM, whoever asks, whatever capabilities)";
    }

    /** The one line a front end gives when it refuses kernel thread {@code pid} ({@code name} its comm). */
    public static String kernelThreadRefusal(int pid, String name) {
        return "pid " + pid + " (" + name + ") is " + kernelThread(pid) + "; " + KERNEL_THREAD_REMEDY;
    }

    public String id() {
        return "target.state";
    }

    public Finding evaluate(TracerFacts tracer, TargetFacts target) {
        if (target == null) {
            return Finding.of(id()).skip("no target pid given");
        }
        if (KernelRules.kernelThread(target)) {
            // Not a state that passes: ptrace_attach's first test, ahead of the credentials,
            // capabilities, Yama and the LSMs, so none of those checks can explain or change it.
            return Finding.of(id())
                    .evidence("file", "/proc/" + target.pid() + "/stat")
                    .evidence("flags", String.format("0x%08x", target.stat().get().flags()))
                    .evidence(KERNEL_THREAD, true)
                    .evidence("errno", "EPERM")
                    .fail(kernelThread(target.pid()), KERNEL_THREAD_REMEDY);
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
