package dev.attachproof.service;

import dev.attachproof.cache.BinaryCache;
import dev.attachproof.delve.DelveLocator;
import dev.attachproof.diagnose.ContainerProcesses;
import dev.attachproof.diagnose.ContainerTarget;
import dev.attachproof.diagnose.Diagnosis;
import dev.attachproof.diagnose.Doctor;
import dev.attachproof.diagnose.FactsReader;
import dev.attachproof.diagnose.GoProcessScan;
import dev.attachproof.diagnose.Status;
import dev.attachproof.diagnose.TargetNotFoundException;
import dev.attachproof.diagnose.checks.PidNamespace;
import dev.attachproof.diagnose.checks.TargetState;
import dev.attachproof.linux.Linux;
import dev.attachproof.procfs.ProcFs;
import dev.attachproof.procfs.ProcStat;
import dev.attachproof.ptrace.StopMode;
import dev.attachproof.ptrace.Tracer;
import dev.attachproof.snapshot.GoroutineSnapshot;
import dev.attachproof.snapshot.SnapshotException;

import java.util.List;
import java.util.stream.Collectors;

/**
 * The engine wired for the front ends: the live /proc, the system binding, the shared tracer
 * thread; and the requests both make of it, with a missing or unsuitable target as a
 * {@link TargetException}.
 */
public final class Engine {
    private Engine() {}

    public static FactsReader facts() {
        return new FactsReader(ProcFs.live(), Linux.system());
    }

    /** The doctor with every check; {@code delve} null leaves delve.compat skipped (nobody looked for a Delve). */
    public static Doctor doctor(FactsReader facts, DelveLocator.Search delve, StopMode stopMode) {
        return new Doctor(facts, Tracer.shared(), Doctor.standardChecks(delve), stopMode);
    }

    /** The checks and, when {@code prove}, the proof for {@code pid}; a pid that is not there is a {@link TargetException}. */
    public static Diagnosis diagnose(Doctor doctor, int pid, boolean prove) {
        try {
            return doctor.diagnose(pid, prove);
        } catch (TargetNotFoundException e) {
            if (e.duringCheck()) {
                throw new TargetException(TargetException.Reason.NOT_FOUND,
                        "pid " + pid + " exited during the check: nothing to attach to any more");
            }
            throw notVisible(pid);
        }
    }

    /**
     * attachproof is about Go processes: a kernel thread (which the kernel never lets ptrace
     * attach to) or a readable non-Go executable cannot be served. Both are
     * {@link TargetException.Reason#UNSUITABLE}: exit status 2 on the command line, 422 from the
     * sidecar. A kernel thread is named as one, in target.state's words, not blamed on a rule
     * /proc does not show.
     */
    public static void requireGo(Diagnosis d, int pid, String name) {
        d.findings().stream()
                .filter(f -> f.id().equals("target.state") && f.status() == Status.FAIL
                        && Boolean.TRUE.equals(f.evidence().get(TargetState.KERNEL_THREAD)))
                .findFirst()
                .ifPresent(f -> {
                    throw new TargetException(TargetException.Reason.UNSUITABLE, TargetState.kernelThreadRefusal(pid, name));
                });
        d.findings().stream()
                .filter(f -> f.id().equals("target.go") && f.status() == Status.FAIL)
                .findFirst()
                .ifPresent(f -> {
                    throw new TargetException(TargetException.Reason.UNSUITABLE, "pid " + pid + " (" + name
                            + ") is " + f.summary() + " (/proc/" + pid + "/exe): attachproof diagnoses "
                            + "Go processes; `attachproof ps` lists them");
                });
    }

    /** {@link #diagnose} and {@link #requireGo} together: the doctor on one Go process. */
    public static Diagnosis diagnoseGo(FactsReader facts, Doctor doctor, int pid, boolean prove) {
        Diagnosis d = diagnose(doctor, pid, prove);
        requireGo(d, pid, facts.procfs().comm(pid).orElse("?"));
        return d;
    }

    /**
     * A goroutine snapshot of {@code pid} on the shared tracer. The snapshot owns its ptrace
     * session and detaches in its own {@code finally}: nothing the caller does afterwards can
     * leave the target stopped.
     */
    public static GoroutineSnapshot snapshot(int pid, boolean noStop) {
        return snapshot(pid, noStop, null);
    }

    /** {@link #snapshot(int, boolean)}, the stop limited to {@code maxStop} (null: no limit). */
    public static GoroutineSnapshot snapshot(int pid, boolean noStop, java.time.Duration maxStop) {
        return snapshot(pid, noStop, maxStop, GoroutineSnapshot.Reading.ALL);
    }

    /**
     * {@link #snapshot(int, boolean, java.time.Duration)}, reading what {@code reading} says; when
     * progressive, returned while its goroutines are still unwound: a reader of its entries may
     * then get a {@link GoroutineSnapshot.UnwindFailed}.
     */
    public static GoroutineSnapshot snapshot(int pid, boolean noStop, java.time.Duration maxStop,
                                             GoroutineSnapshot.Reading reading) {
        ProcFs procfs = ProcFs.live();
        if (!procfs.exists(pid)) {
            throw notVisible(pid);
        }
        if (procfs.stat(pid).map(ProcStat::kernelThread).orElse(false)) {
            // Its /proc/PID/exe is empty: named for what it is, as the doctor names it, not "exited".
            throw new TargetException(TargetException.Reason.UNSUITABLE,
                    TargetState.kernelThreadRefusal(pid, procfs.comm(pid).orElse("?")));
        }
        try {
            return GoroutineSnapshot.take(pid, noStop, maxStop, Tracer.shared(), procfs, Linux.system(),
                    BinaryCache.fromEnvironment(System.getenv()), reading);
        } catch (SnapshotException e) {
            // There when asked, gone (or a zombie) now: it exited during the snapshot, whichever
            // read found out first.
            if (e.exited() || procfs.exited(pid)) {
                throw new TargetException(TargetException.Reason.EXITED, "process " + pid + " exited during the snapshot");
            }
            throw new TargetException(TargetException.Reason.UNSUITABLE, e.getMessage());
        }
    }

    /**
     * The main Go process of the container whose id is {@code idPrefix} or starts with it
     * ({@link ContainerProcesses}): no visible process in it is {@link TargetException.Reason#NOT_FOUND},
     * a prefix of two containers {@link TargetException.Reason#AMBIGUOUS}, a container without a
     * Go program {@link TargetException.Reason#UNSUITABLE}; each one line naming what to do.
     */
    public static ContainerTarget container(FactsReader facts, String idPrefix) {
        return switch (new ContainerProcesses(facts.procfs(), facts::binary).find(idPrefix)) {
            case ContainerProcesses.Resolution.NotFound n -> throw new TargetException(TargetException.Reason.NOT_FOUND,
                    "no process in this PID namespace is in container " + idPrefix + "; run attachproof where it sees "
                    + "the container's processes (hostPID, or shareProcessNamespace)");
            case ContainerProcesses.Resolution.Ambiguous a -> throw new TargetException(TargetException.Reason.AMBIGUOUS,
                    "container " + idPrefix + " is ambiguous: it starts " + String.join(" and ", a.ids())
                    + "; give more of the id");
            case ContainerProcesses.Resolution.Found f -> ContainerProcesses.choose(f.id(), f.members())
                    .orElseThrow(() -> noGo(f));
        };
    }

    private static TargetException noGo(ContainerProcesses.Resolution.Found f) {
        List<ContainerProcesses.Member> m = f.members();
        String listed = m.stream().limit(4)
                .map(p -> p.pid() + " " + p.exe() + (p.kind() == ContainerProcesses.Kind.UNREADABLE ? " (unreadable)" : ""))
                .collect(Collectors.joining(", ")) + (m.size() > 4 ? ", and " + (m.size() - 4) + " more" : "");
        boolean hidden = m.stream().anyMatch(p -> p.kind() == ContainerProcesses.Kind.UNREADABLE);
        return new TargetException(TargetException.Reason.UNSUITABLE, "container " + f.id().substring(0, 12)
                + " has no Go program among its " + m.size() + (m.size() == 1 ? " process (" : " processes (") + listed
                + "): attachproof diagnoses Go processes; name the container that runs one"
                + (hidden ? ", or run attachproof where it may read every executable (root with CAP_SYS_PTRACE)" : "")
                + " (`attachproof ps` lists the Go processes)");
    }

    /** The visible Go processes, each with its predicted verdict (no proof). */
    public static GoProcessScan.Result goProcesses(FactsReader facts, Doctor doctor) {
        return new GoProcessScan(facts, doctor).scan(doctor.tracerFacts());
    }

    private static TargetException notVisible(int pid) {
        return new TargetException(TargetException.Reason.NOT_FOUND, "no process with pid " + pid + " is visible here: "
                + "it does not exist, has exited, or runs in another PID namespace (to reach one: "
                + PidNamespace.notVisibleRemedy() + ")");
    }
}
