package dev.attachproof.diagnose;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Finds the Go processes visible here (by the Go build info in each /proc/PID/exe) and predicts,
 * from the checks alone, whether each can be attached. Processes whose executable we may not read
 * (other users', without CAP_SYS_PTRACE) cannot be told Go or not: they are counted, not listed.
 */
public final class GoProcessScan {
    private final FactsReader facts;
    private final Doctor doctor;

    public GoProcessScan(FactsReader facts, Doctor doctor) {
        this.facts = facts;
        this.doctor = doctor;
    }

    /** The Go processes found, and how many processes could not be inspected at all. */
    public record Result(List<GoProcess> processes, int unreadable) {}

    public Result scan(TracerFacts tracer) {
        List<GoProcess> out = new ArrayList<>();
        int unreadable = 0;
        for (int pid : facts.procfs().pids()) {
            if (pid == tracer.pid()) {
                continue;
            }
            Optional<TargetFacts> target = facts.target(pid, tracer.pid());
            if (target.isEmpty()) {
                continue;
            }
            TargetFacts t = target.get();
            if (!t.status().fields().containsKey("VmSize")) {
                continue;   // no address space: a kernel thread or a zombie, never a Go program
            }
            if ("EACCES".equals(t.binary().readError())) {
                unreadable++;   // its executable is hidden from us: Go or not cannot be known
                continue;
            }
            if (!t.binary().isGo()) {
                continue;
            }
            Diagnosis d = doctor.predict(tracer, t);
            out.add(new GoProcess(pid, t.status().name(), t.status().uids().real(),
                    t.binary().buildInfo().get().goVersion(), t.binary().buildInfo().get().path(), d.predicted(),
                    d.failing().stream().filter(f -> !f.id().equals("target.go")).map(Finding::id).toList()));
        }
        return new Result(out, unreadable);
    }
}
