package dev.attachproof.matrix;

import dev.attachproof.diagnose.Diagnosis;
import dev.attachproof.diagnose.Doctor;
import dev.attachproof.diagnose.FactsReader;
import dev.attachproof.diagnose.Finding;
import dev.attachproof.diagnose.Status;
import dev.attachproof.diagnose.TargetNotFoundException;
import dev.attachproof.diagnose.Verdict;
import dev.attachproof.linux.CallResult;
import dev.attachproof.linux.CapabilitySets;
import dev.attachproof.linux.Errno;
import dev.attachproof.linux.Linux;
import dev.attachproof.linux.LinuxConstants;
import dev.attachproof.probe.SeccompFilter;
import dev.attachproof.procfs.ProcFs;
import dev.attachproof.procfs.ProcStatus;
import dev.attachproof.ptrace.Tracer;

import java.util.List;
import java.util.OptionalInt;
import java.util.stream.Collectors;

/**
 * One probe, inside the probe process: restrict, check that the restriction holds for the thread
 * that calls ptrace (its /proc/self/task/TID/status), predict from that thread's credentials with
 * the doctor's rules, then attach and read one word (the doctor's proof), and report.
 * Seccomp filters bind every thread (TSYNC); capabilities, uids and no_new_privs are changed on
 * the tracer thread alone, which is the thread the kernel checks.
 */
public final class Probe {
    /** nobody: the other uid and gid. */
    static final int NOBODY = 65534;

    private final FactsReader facts;
    private final Doctor doctor;
    private final Tracer tracer;
    private final Linux linux;

    public Probe(FactsReader facts, Doctor doctor, Tracer tracer, Linux linux) {
        this.facts = facts;
        this.doctor = doctor;
        this.tracer = tracer;
        this.linux = linux;
    }

    /**
     * Runs the probe for {@code setting} on target {@code pid}. {@code outsideUserNamespace} is the
     * matrix's user namespace (for user-namespace: the probe's must differ), {@code yamaScope}
     * the scope the matrix set (for yama-N: it must read so).
     */
    public ProbeReport run(Setting setting, int pid, String outsideUserNamespace) {
        String seccompFailure = switch (setting) {
            case SECCOMP_DENY_PTRACE -> installDenying("ptrace");
            case SECCOMP_DENY_PROCESS_VM_READV -> installDenying("process_vm_readv");
            default -> null;
        };
        if (seccompFailure != null) {
            return ProbeReport.skipped(setting, "could not install the seccomp filter: " + seccompFailure, "");
        }
        return tracer.call(() -> onTracerThread(setting, pid, outsideUserNamespace));
    }

    private String installDenying(String syscall) {
        CallResult<Long> r = SeccompFilter.install(linux, SeccompFilter.denying(List.of(syscall), Errno.EPERM));
        return r instanceof CallResult.Failed<Long> f ? f.describe() : null;
    }

    private ProbeReport onTracerThread(Setting setting, int pid, String outsideUserNamespace) {
        int tid = linux.gettid();
        String failed = restrictThisThread(setting);
        ProcFs procfs = facts.procfs();
        ProcStatus st = procfs.taskStatus(procfs.selfPid(), tid).orElse(null);
        if (st == null) {
            return ProbeReport.skipped(setting, "cannot read /proc/self/task/" + tid + "/status", "");
        }
        String evidence = evidence(tid, st, procfs);
        if (failed != null) {
            return ProbeReport.skipped(setting, failed, evidence);
        }
        String notHeld = notHolding(setting, st, procfs, outsideUserNamespace);
        if (notHeld != null) {
            return ProbeReport.skipped(setting, "the restriction did not hold: " + notHeld, evidence);
        }
        Diagnosis d;
        try {
            d = doctor.diagnose(pid, true, facts.tracer(tid));
        } catch (TargetNotFoundException e) {
            return ProbeReport.skipped(setting, "the target " + pid + " is not visible to the probe, or exited", evidence);
        }
        String observed = d.proof().ok() ? "ok" : d.proof().errno() != null ? d.proof().errno().name() : "unknown";
        String failing = d.findings().stream().filter(f -> f.status() == Status.FAIL).map(Finding::id)
                .collect(Collectors.joining(","));
        return new ProbeReport(setting.id(), null, d.predicted() == Verdict.ATTACHABLE ? "attachable" : "not-attachable",
                observed, failing, evidence);
    }

    /** Applies the per-thread part of {@code setting} to the calling thread; null when done, else why not. */
    private String restrictThisThread(Setting setting) {
        switch (setting) {
            case DROP_CAP_SYS_PTRACE:
                return dropSysPtrace();
            case DROP_CAP_SYS_PTRACE_OTHER_UID: {
                String failed = dropSysPtrace();
                return failed != null ? failed : becomeNobody();
            }
            case OTHER_UID_CAP_IN_BOUNDING_SET:
                // The uid change itself empties the permitted and effective sets (commoncap.c,
                // cap_emulate_setxuid: every uid leaves 0, no SECBIT_KEEP_CAPS); the bounding set stays.
                return becomeNobody();
            case NO_NEW_PRIVS: {
                CallResult<Long> r = linux.prctl(LinuxConstants.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
                return r instanceof CallResult.Failed<Long> f ? "prctl(PR_SET_NO_NEW_PRIVS) failed: " + f.describe() : null;
            }
            default:
                return null;
        }
    }

    /** uid and gid 65534 and no supplementary groups, for this thread alone (the raw syscalls). */
    private String becomeNobody() {
        // Groups and gid first: once the uid is not 0 the thread may change neither.
        CallResult<Long> g = linux.setgroupsThisThread(new int[0]);
        CallResult<Long> gid = g.ok() ? linux.setresgidThisThread(NOBODY, NOBODY, NOBODY) : g;
        CallResult<Long> uid = gid.ok() ? linux.setresuidThisThread(NOBODY, NOBODY, NOBODY) : gid;
        return uid instanceof CallResult.Failed<Long> f
                ? "cannot take uid " + NOBODY + " (needs CAP_SETUID and CAP_SETGID): " + f.describe() : null;
    }

    /** CAP_SYS_PTRACE out of this thread's effective, permitted and inheritable sets (capset changes one thread). */
    private String dropSysPtrace() {
        CallResult<CapabilitySets> now = linux.capget(0);
        if (!(now instanceof CallResult.Ok<CapabilitySets> ok)) {
            return "capget failed: " + ((CallResult.Failed<CapabilitySets>) now).describe();
        }
        long bit = 1L << LinuxConstants.CAP_SYS_PTRACE;
        CapabilitySets c = ok.value();
        CallResult<Long> r = linux.capset(new CapabilitySets(c.effective() & ~bit, c.permitted() & ~bit, c.inheritable() & ~bit));
        return r instanceof CallResult.Failed<Long> f ? "capset failed: " + f.describe() : null;
    }

    /** Why the restriction is not in force for the thread whose status is {@code st}; null when it is. */
    private static String notHolding(Setting setting, ProcStatus st, ProcFs procfs, String outsideUserNamespace) {
        long bit = 1L << LinuxConstants.CAP_SYS_PTRACE;
        boolean capHeld = (st.capEff().orElse(0) & bit) != 0 || (st.capPrm().orElse(0) & bit) != 0;
        switch (setting) {
            case DROP_CAP_SYS_PTRACE:
                return capHeld ? "CapEff/CapPrm still hold CAP_SYS_PTRACE" : null;
            case DROP_CAP_SYS_PTRACE_OTHER_UID:
                return capHeld ? "CapEff/CapPrm still hold CAP_SYS_PTRACE" : notNobody(st);
            case OTHER_UID_CAP_IN_BOUNDING_SET:
                if (capHeld) {
                    return "CapEff/CapPrm still hold CAP_SYS_PTRACE";
                }
                return (st.capBnd().orElse(0) & bit) == 0 ? "CapBnd does not hold CAP_SYS_PTRACE" : notNobody(st);
            case NO_NEW_PRIVS:
                return st.noNewPrivs().orElse(0) == 1 ? null : "NoNewPrivs is not 1";
            case SECCOMP_DENY_PTRACE:
            case SECCOMP_DENY_PROCESS_VM_READV:
                return st.seccompMode().orElse(0) == 2 ? null : "Seccomp is not 2 (filter) on this thread";
            case USER_NAMESPACE: {
                String ns = procfs.namespace(procfs.selfPid(), "user").asText().orElse("");
                if (outsideUserNamespace == null || outsideUserNamespace.isEmpty()) {
                    return "the matrix did not say which user namespace it runs in";
                }
                return !ns.isEmpty() && !ns.equals(outsideUserNamespace) ? null
                        : "the probe is in the matrix's own user namespace " + outsideUserNamespace;
            }
            default: {
                int scope = setting.yamaScope();
                if (scope < 0) {
                    return null;
                }
                OptionalInt now = procfs.yamaPtraceScope();
                return now.isPresent() && now.getAsInt() == scope ? null
                        : "ptrace_scope reads " + (now.isPresent() ? now.getAsInt() : "absent") + ", not " + scope;
            }
        }
    }

    private static String notNobody(ProcStatus st) {
        boolean nobody = st.uids().real() == NOBODY && st.uids().effective() == NOBODY
                && st.uids().saved() == NOBODY && st.uids().filesystem() == NOBODY
                && st.gids().real() == NOBODY && st.gids().effective() == NOBODY;
        return nobody ? null : "Uid/Gid are not " + NOBODY;
    }

    private static String evidence(int tid, ProcStatus st, ProcFs procfs) {
        return String.format("thread %d: Uid %d, Gid %d, CapEff %016x, CapBnd %016x, NoNewPrivs %d, Seccomp %d, user ns %s%s", tid,
                st.uids().effective(), st.gids().effective(), st.capEff().orElse(0), st.capBnd().orElse(0), st.noNewPrivs().orElse(0),
                st.seccompMode().orElse(0), procfs.namespace(procfs.selfPid(), "user").asText().orElse("?"),
                procfs.yamaPtraceScope().isPresent() ? ", ptrace_scope " + procfs.yamaPtraceScope().getAsInt() : "");
    }
}
