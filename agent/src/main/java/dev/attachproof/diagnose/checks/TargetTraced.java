package dev.attachproof.diagnose.checks;

import dev.attachproof.diagnose.Check;
import dev.attachproof.diagnose.Finding;
import dev.attachproof.diagnose.Refusal;
import dev.attachproof.diagnose.Status;
import dev.attachproof.diagnose.TargetFacts;
import dev.attachproof.diagnose.TracerFacts;
import dev.attachproof.linux.Errno;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * target.traced: a task has one tracer at a time; ptrace_attach returns EPERM when task->ptrace
 * is set. TracerPid names the tracing thread; the evidence names its process too. TracerPid is
 * the tracer's pid in the PID namespace of the /proc we read (fs/proc/array.c, task_pid_nr_ns),
 * 0 for a tracer that namespace does not contain: a debugger on the host attached to a process
 * of this container. Such a tracer shows only in the proof's refusal ({@link Refusal}).
 */
public final class TargetTraced implements Check {
    public String id() {
        return "target.traced";
    }

    public Finding evaluate(TracerFacts tracer, TargetFacts target) {
        if (target == null) {
            return Finding.of(id()).skip("no target pid given");
        }
        int tracerPid = target.status().tracerPid();
        Finding.Builder f = Finding.of(id())
                .evidence("file", "/proc/" + target.pid() + "/status")
                .evidence("TracerPid", tracerPid);
        if (tracerPid == 0) {
            return f.pass("not traced by anyone");
        }
        TargetFacts.Tracing t = target.tracer().orElse(new TargetFacts.Tracing(tracerPid, tracerPid, "unknown"));
        f.evidence("tracerProcess", t.process()).evidence("tracer", t.name()).evidence("errno", "EPERM");
        if (t.process() == tracer.pid()) {
            return f.warn("already traced by this process", null);
        }
        return f.fail("already traced by pid " + t.process() + " (" + t.name() + "): a process has one tracer at a time",
                "detach the other tracer first: quit that debugger session (dlv, gdb, strace), or stop pid " + t.process());
    }

    /**
     * TracerPid read 0, yet PTRACE_SEIZE answered EPERM while process_vm_readv, which asks every
     * permission rule the seize asks, read the target: what is left of ptrace_attach's refusals
     * is a tracer already attached (or the target exiting), from outside our PID namespace.
     */
    @Override
    public Finding afterRefusal(Finding finding, Refusal refusal) {
        if (finding.status() != Status.PASS || refusal.errno() != Errno.EPERM || !refusal.accessAllowed()) {
            return finding;
        }
        Map<String, Object> evidence = new LinkedHashMap<>(finding.evidence());
        evidence.put("tracerVisible", false);
        evidence.put("seize", refusal.failedCall() + ": " + refusal.errno());
        evidence.put("targetRead", refusal.targetRead().call() + ": " + refusal.targetRead().observed());
        evidence.put("errno", refusal.errno().name());
        return new Finding(id(), Status.FAIL,
                "already traced by a tracer outside this PID namespace (TracerPid reads 0 here, where it has no pid), or exiting: "
                        + "PTRACE_SEIZE answered EPERM, yet process_vm_readv, which the same uid, capability, Yama and LSM rules "
                        + "allow, read the target; only a tracer already attached (or an exiting target) refuses one and not the other",
                evidence,
                "detach the other debugger, which runs outside this PID namespace (on the node or in a parent container): "
                        + "find it with `grep TracerPid /proc/PID/status` for the target's pid there, and quit that dlv, gdb or strace session");
    }
}
