package dev.attachproof.diagnose;

import dev.attachproof.linux.LinuxConstants;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Finds the Go processes visible here (by the Go build info in each /proc/PID/exe) and predicts,
 * from the checks alone, whether each can be attached. Processes whose executable we may not read
 * cannot be told Go or not: they are listed apart, each with why, in the doctor's words.
 */
public final class GoProcessScan {
    private final FactsReader facts;
    private final Doctor doctor;

    public GoProcessScan(FactsReader facts, Doctor doctor) {
        this.facts = facts;
        this.doctor = doctor;
    }

    /** The Go processes found, and the processes that could not be inspected at all. */
    public record Result(List<GoProcess> processes, List<Uninspected> uninspected) {
        public int unreadable() {
            return uninspected.size();
        }
    }

    /**
     * A process whose /proc/PID/exe the kernel refused. That link is guarded by the ptrace access
     * check in read mode (fs/proc/base.c, proc_fd_access_allowed: ptrace_may_access with
     * PTRACE_MODE_READ_FSCREDS), the rules the doctor's checks mirror; so the failing checks say
     * why, and when none fails, the refusal is a rule /proc does not show.
     *
     * @param causes the failing checks that explain the refusal (empty: none does)
     * @param reason one sentence: the first cause's summary, or what was ruled out and what is left
     */
    public record Uninspected(int pid, String name, int uid, String errno, List<String> causes, String reason) {}

    public Result scan(TracerFacts tracer) {
        List<GoProcess> out = new ArrayList<>();
        List<Uninspected> hidden = new ArrayList<>();
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
                hidden.add(uninspected(tracer, t));   // its executable is hidden from us: Go or not cannot be known
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
        return new Result(out, List.copyOf(hidden));
    }

    private Uninspected uninspected(TracerFacts tracer, TargetFacts t) {
        List<Finding> failing = doctor.predict(tracer, t).failing().stream().filter(f -> !f.id().equals("target.go")).toList();
        String errno = t.binary().readError();
        if (!failing.isEmpty()) {
            return new Uninspected(t.pid(), t.status().name(), t.status().uids().real(), errno,
                    failing.stream().map(Finding::id).toList(), failing.getFirst().summary());
        }
        StringBuilder why = new StringBuilder("/proc/" + t.pid() + "/exe refused (" + errno + ")");
        boolean root = tracer.status().uids().effective() == 0;
        boolean cap = tracer.hasCapability(LinuxConstants.CAP_SYS_PTRACE);
        why.append(root && cap ? " to root with CAP_SYS_PTRACE" : cap ? " though we hold CAP_SYS_PTRACE" : "");
        why.append(", and every rule /proc shows allows it (ids, capabilities, dumpability, user namespace)");
        List<Integer> nspids = t.status().nsPids();
        if (nspids.size() > 1) {
            why.append("; it runs in a PID namespace of its own (pid ").append(nspids.getLast()).append(" there)");
        }
        String ours = tracer.mountNamespace();
        Optional<String> theirs = t.mountNamespace().asText();
        if (theirs.isPresent() && !ours.isEmpty() && !theirs.get().equals(ours)) {
            why.append("; it runs in another mount namespace (").append(theirs.get()).append(")");
        } else if (theirs.isEmpty()) {
            why.append("; its namespaces are hidden by the same check");
        }
        why.append(": ").append(Doctor.UNSHOWN_RULE).append(" refuses it");
        return new Uninspected(t.pid(), t.status().name(), t.status().uids().real(), errno, List.of(), why.toString());
    }
}
