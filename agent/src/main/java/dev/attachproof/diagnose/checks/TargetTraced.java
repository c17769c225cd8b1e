package dev.attachproof.diagnose.checks;

import dev.attachproof.diagnose.Check;
import dev.attachproof.diagnose.Finding;
import dev.attachproof.diagnose.TargetFacts;
import dev.attachproof.diagnose.TracerFacts;

/**
 * target.traced: a task has one tracer at a time; ptrace_attach returns EPERM when task->ptrace
 * is set. TracerPid names the tracing thread; the evidence names its process too.
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
}
