package dev.attachproof.diagnose;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Finds the Go processes visible here (by the Go build info in each /proc/PID/exe) and predicts,
 * from the checks alone, whether each can be attached. Processes whose executable we may not read
 * are listed only when their name is all we need: they are skipped, since whether they are Go
 * cannot be known.
 */
public final class GoProcessScan {
    private final FactsReader facts;
    private final Doctor doctor;

    public GoProcessScan(FactsReader facts, Doctor doctor) {
        this.facts = facts;
        this.doctor = doctor;
    }

    public List<GoProcess> scan(TracerFacts tracer) {
        List<GoProcess> out = new ArrayList<>();
        for (int pid : facts.procfs().pids()) {
            if (pid == tracer.pid()) {
                continue;
            }
            Optional<TargetFacts> target = facts.target(pid, tracer.pid());
            if (target.isEmpty() || !target.get().binary().isGo()) {
                continue;
            }
            TargetFacts t = target.get();
            Diagnosis d = doctor.predict(tracer, t);
            out.add(new GoProcess(pid, t.status().name(), t.status().uids().real(),
                    t.binary().buildInfo().get().goVersion(), t.binary().buildInfo().get().path(), d.predicted(),
                    d.failing().stream().filter(f -> !f.id().equals("target.go")).map(Finding::id).toList()));
        }
        return out;
    }
}
