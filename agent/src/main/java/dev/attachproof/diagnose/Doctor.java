package dev.attachproof.diagnose;

import dev.attachproof.diagnose.checks.CredentialsUid;
import dev.attachproof.diagnose.checks.DelveCompat;
import dev.attachproof.diagnose.checks.Lsm;
import dev.attachproof.diagnose.checks.NoNewPrivs;
import dev.attachproof.diagnose.checks.PidNamespace;
import dev.attachproof.diagnose.checks.Seccomp;
import dev.attachproof.diagnose.checks.SysPtraceCapability;
import dev.attachproof.diagnose.checks.TargetBinary;
import dev.attachproof.diagnose.checks.TargetDebugInfo;
import dev.attachproof.diagnose.checks.TargetDumpable;
import dev.attachproof.diagnose.checks.TargetExists;
import dev.attachproof.diagnose.checks.TargetGo;
import dev.attachproof.diagnose.checks.TargetState;
import dev.attachproof.diagnose.checks.TargetTraced;
import dev.attachproof.diagnose.checks.UserNamespace;
import dev.attachproof.diagnose.checks.YamaPtraceScope;
import dev.attachproof.golang.MemoryReader;
import dev.attachproof.golang.RuntimeSummary;
import dev.attachproof.linux.CallResult;
import dev.attachproof.procfs.Mapping;
import dev.attachproof.ptrace.AttachResult;
import dev.attachproof.ptrace.PtraceSession;
import dev.attachproof.ptrace.StopMode;
import dev.attachproof.ptrace.Tracer;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Runs every check on gathered facts, then proves the answer by attaching: seize, stop, read the
 * Go version and goroutine count from the target's memory, detach. The verdict is the proof's; a
 * refusal is attributed to the failing checks that explain it, and said to be unexplained when
 * none does (as an LSM whose decisions /proc does not show would cause).
 */
public final class Doctor {
    /** Checks whose failure alone makes the kernel refuse PTRACE_SEIZE. */
    private static final Set<String> DENYING = Set.of("target.exists", "target.state", "target.traced",
            "credentials.uid", "capability.sys_ptrace", "target.dumpable", "yama.ptrace_scope",
            "seccomp.ptrace", "lsm", "namespace.user");
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(2);
    /** What refuses a ptrace access that every rule /proc shows allows. */
    static final String UNSHOWN_RULE = "a rule /proc does not show (a BPF LSM program, a Landlock domain, an SELinux or AppArmor policy)";

    private final FactsReader facts;
    private final Tracer tracer;
    private final List<Check> checks;
    private final StopMode stopMode;

    public Doctor(FactsReader facts, Tracer tracer, List<Check> checks, StopMode stopMode) {
        this.facts = facts;
        this.tracer = tracer;
        this.checks = List.copyOf(checks);
        this.stopMode = stopMode;
    }

    /** Every check of DESIGN.md, in the order people read them. */
    public static List<Check> standardChecks(String dlvPath) {
        return List.of(new TargetExists(), new TargetState(), new TargetTraced(), new TargetGo(),
                new CredentialsUid(), new SysPtraceCapability(), new TargetDumpable(), new YamaPtraceScope(),
                Seccomp.ptrace(), Seccomp.processVmReadv(), new NoNewPrivs(), new Lsm(), new PidNamespace(),
                new UserNamespace(), new TargetBinary(), new TargetDebugInfo(), new DelveCompat(dlvPath));
    }

    public TracerFacts tracerFacts() {
        return facts.tracer();
    }

    /** The tracer's side of every check, with no target. */
    public List<Finding> environment(TracerFacts tracerFacts) {
        return checks.stream().map(c -> c.evaluate(tracerFacts, null)).toList();
    }

    /** Findings and the predicted verdict for one target, without attaching. */
    public Diagnosis predict(TracerFacts tracerFacts, TargetFacts target) {
        List<Finding> findings = checks.stream().map(c -> c.evaluate(tracerFacts, target)).toList();
        Verdict predicted = verdictOf(findings);
        return new Diagnosis(target.pid(), predicted, predicted, findings,
                Proof.notAttempted("not attempted (--no-proof)"), null);
    }

    /** Checks and, when {@code prove}, the live proof; a target that exits meanwhile is not found. */
    public Diagnosis diagnose(int pid, boolean prove) throws TargetNotFoundException {
        return diagnose(pid, prove, facts.tracer());
    }

    /** As {@link #diagnose(int, boolean)}, for a tracer described by {@code t} (one thread's credentials). */
    public Diagnosis diagnose(int pid, boolean prove, TracerFacts t) throws TargetNotFoundException {
        TargetFacts target = facts.target(pid, t.pid()).orElseThrow(() -> new TargetNotFoundException(pid, false));
        Diagnosis prediction = predict(t, target);
        if (!prove) {
            return prediction;
        }
        Proof proof = target.status().ppid() == t.pid()
                ? Proof.notAttempted("not attempted: the target is a child of this process, and the kernel would report its "
                    + "ptrace stops to this JVM's process reaper, which would then take it for exited "
                    + "(start it through a shell, e.g. sh -c 'prog & wait', so that it is a grandchild)")
                : prove(target, prediction.findings());
        if (proof.vanished()) {
            throw new TargetNotFoundException(pid, true);
        }
        if (!proof.attempted()) {
            return new Diagnosis(pid, prediction.predicted(), prediction.predicted(), prediction.findings(), proof, null);
        }
        if (proof.errno() == null && !proof.ok()) {
            // Attached, but it vanished or did not stop: the kernel did not refuse, nothing proven.
            return new Diagnosis(pid, Verdict.UNKNOWN, prediction.predicted(), prediction.findings(), proof, null);
        }
        Verdict verdict = proof.errno() == null ? Verdict.ATTACHABLE : Verdict.NOT_ATTACHABLE;
        List<Finding> findings = proof.ok() ? afterAttach(prediction.findings()) : prediction.findings();
        return new Diagnosis(pid, verdict, prediction.predicted(), findings, proof, contradiction(findings, verdict, proof));
    }

    /** Each finding as its check restates it knowing that the attach worked (checks and findings share their order). */
    private List<Finding> afterAttach(List<Finding> findings) {
        List<Finding> settled = new ArrayList<>(findings.size());
        for (int i = 0; i < findings.size(); i++) {
            settled.add(checks.get(i).afterAttach(findings.get(i)));
        }
        return settled;
    }

    /** Attach, read and detach as one task on the tracer thread: no hand-off while the target is stopped. */
    private Proof prove(TargetFacts target, List<Finding> findings) {
        return tracer.call(() -> proveOnTracer(target, findings));
    }

    private Proof proveOnTracer(TargetFacts target, List<Finding> findings) {
        loadStopPathClasses();
        List<String> notes = new ArrayList<>();
        AttachResult r = tracer.attach(target.pid(), stopMode, STOP_TIMEOUT);
        // instanceof, not a pattern switch: its call site would be bootstrapped while the target is stopped.
        if (r instanceof AttachResult.Attached a) {
            return readAndDetach(a, target, notes);
        }
        if (r instanceof AttachResult.Denied d) {
            return new Proof(true, false, "seize", d.failure().errno().name(), d.failure().call(),
                    -1, null, null, null, explaining(findings), List.of(d.failure().describe()), false);
        }
        if (r instanceof AttachResult.StopTimedOut s) {
            return new Proof(true, false, "seize", null, null, s.waitedMicros(), null, null, null, List.of(),
                    List.of("attached, but the target did not stop within " + s.waitedMicros() / 1000 + " ms (uninterruptible sleep?); detached"), false);
        }
        AttachResult.NoSuchProcess n = (AttachResult.NoSuchProcess) r;
        return new Proof(true, false, "seize", null, null, -1, null, null, null,
                List.of(), List.of("the process exited during the proof: " + n.detail()), true);
    }

    private Proof readAndDetach(AttachResult.Attached a, TargetFacts target, List<String> notes) {
        PtraceSession session = a.session();
        String goVersion = null;
        Long goroutines = null;
        try {
            if (target.binary().isGo() && !target.binary().symbols().isEmpty()) {
                RuntimeSummary s = RuntimeSummary.read(new SessionMemory(session), target.binary().symbols(),
                        target.binary().loadBias());
                goVersion = s.goVersion();
                goroutines = s.goroutines().isPresent() ? s.goroutines().getAsLong() : null;
            } else {
                // Still prove memory is readable: the first word of the first mapping.
                long first = facts.procfs().maps(target.pid()).stream().findFirst().map(Mapping::start).orElse(0L);
                CallResult<Long> res = session.read(first, ByteBuffer.allocate(8));
                notes.add(target.binary().isGo() ? "no symbol table (stripped): goroutine count not read"
                        : "not a Go binary: only the attach was proven");
                if (!res.ok()) {
                    notes.add("memory read: " + ((CallResult.Failed<Long>) res).describe());
                }
            }
        } catch (MemoryReader.MemoryReadException e) {
            notes.add("attached, but reading memory failed: " + e.getMessage());
        } finally {
            session.close();
        }
        notes.addAll(session.notes());
        return new Proof(true, true, a.method(), null, null, session.stoppedMicros(), goVersion, goroutines,
                session.lastReadMethod(), List.of(), notes, false);
    }

    /**
     * Loads and initialises the classes the stopped window uses, so that loading them (a
     * millisecond or more on a cold JVM) happens before the target stops, not while.
     */
    private static void loadStopPathClasses() {
        for (Class<?> c : List.of(RuntimeSummary.class, SessionMemory.class, MemoryReader.MemoryReadException.class,
                CallResult.Ok.class, CallResult.Failed.class, java.nio.ByteOrder.class)) {
            try {
                Class.forName(c.getName(), true, c.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private static List<String> explaining(List<Finding> findings) {
        return findings.stream().filter(f -> f.status() == Status.FAIL && DENYING.contains(f.id())).map(Finding::id).toList();
    }

    private static Verdict verdictOf(List<Finding> findings) {
        return explaining(findings).isEmpty() ? Verdict.ATTACHABLE : Verdict.NOT_ATTACHABLE;
    }

    /** Null when the findings, settled by the proof, agree with it. */
    private static String contradiction(List<Finding> findings, Verdict verdict, Proof proof) {
        if (verdict == verdictOf(findings)) {
            return null;
        }
        if (verdict == Verdict.ATTACHABLE) {
            return "the checks predicted a refusal (" + String.join(", ", explaining(findings)) + "), but the attach worked";
        }
        return "every visible rule allows this attach, yet the kernel answered " + proof.errno() + " to " + proof.failedCall()
                + ": " + UNSHOWN_RULE + " denied it";
    }
}
