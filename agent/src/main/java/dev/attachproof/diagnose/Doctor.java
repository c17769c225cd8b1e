package dev.attachproof.diagnose;

import dev.attachproof.diagnose.checks.CredentialsUid;
import dev.attachproof.delve.DelveLocator;
import dev.attachproof.diagnose.checks.DelveCompat;
import dev.attachproof.diagnose.checks.Lsm;
import dev.attachproof.diagnose.checks.NoNewPrivs;
import dev.attachproof.diagnose.checks.PidNamespace;
import dev.attachproof.diagnose.checks.Seccomp;
import dev.attachproof.diagnose.checks.SelinuxDenyPtrace;
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
import dev.attachproof.buildinfo.GoExecutable;
import dev.attachproof.delve.GoVersion;
import dev.attachproof.elf.ElfFile;
import dev.attachproof.elf.ElfFormatException;
import dev.attachproof.golang.BuildVersion;
import dev.attachproof.golang.GoRuntime;
import dev.attachproof.golang.GoroutineCensus;
import dev.attachproof.golang.GoroutineReader;
import dev.attachproof.linux.CallResult;
import dev.attachproof.linux.Errno;
import dev.attachproof.memory.CapturedMemory;
import dev.attachproof.memory.CopyBuffers;
import dev.attachproof.memory.MemoryReader;
import dev.attachproof.memory.SessionMemory;
import dev.attachproof.memory.VmMemory;
import dev.attachproof.procfs.Mapping;
import dev.attachproof.ptrace.AttachMethod;
import dev.attachproof.ptrace.AttachResult;
import dev.attachproof.ptrace.PtraceSession;
import dev.attachproof.ptrace.StopMode;
import dev.attachproof.ptrace.Tracer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiFunction;

/**
 * Runs every check on gathered facts, then proves the answer by attaching: seize, stop, read the
 * Go version and copy the goroutine list from the target's memory, detach, then count the
 * goroutines as Go's own dump would show them ({@link GoroutineCensus}). The verdict is the proof's; a
 * refusal is attributed to the failing checks that explain it, and said to be unexplained when
 * none does (as an LSM whose decisions /proc does not show would cause).
 */
public final class Doctor {
    /** Checks whose failure alone makes the kernel refuse PTRACE_SEIZE. */
    private static final Set<String> DENYING = Set.of("target.exists", "target.state", "target.traced",
            "credentials.uid", "capability.sys_ptrace", "target.dumpable", "yama.ptrace_scope",
            "seccomp.ptrace", "lsm", "selinux.deny_ptrace", "namespace.user");
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

    /**
     * Every check id of docs/contract.md, in the order people read them; {@code delve} is the Delve named or
     * found for delve.compat, null when nobody looked (that check is then skipped).
     */
    public static List<Check> standardChecks(DelveLocator.Search delve) {
        return List.of(new TargetExists(), new TargetState(), new TargetTraced(), new TargetGo(),
                new CredentialsUid(), new SysPtraceCapability(), new TargetDumpable(), new YamaPtraceScope(),
                Seccomp.ptrace(), Seccomp.processVmReadv(), new NoNewPrivs(), new Lsm(), new SelinuxDenyPtrace(), new PidNamespace(),
                new UserNamespace(), new TargetBinary(), new TargetDebugInfo(), new DelveCompat(delve));
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
        List<Finding> findings = prediction.findings();
        if (proof.ok()) {
            findings = settle(findings, Check::afterAttach);
        } else if (proof.explainedBy().isEmpty()) {
            Refusal refusal = refusal(target, proof);
            findings = settle(findings, (check, finding) -> check.afterRefusal(finding, refusal));
            proof = proof.explainedBy(explaining(findings));
        }
        return new Diagnosis(pid, verdict, prediction.predicted(), findings, proof, contradiction(findings, verdict, proof));
    }


    /**
     * An EPERM that no visible rule explains, with a read of the target to tell a permission rule
     * from a tracer /proc does not show ({@link Refusal}). The read runs on the tracer thread,
     * whose credentials are the ones the seize was refused (a matrix probe restricts that thread
     * alone): 8 bytes at the start of the target's first readable mapping.
     */
    private Refusal refusal(TargetFacts target, Proof proof) {
        if (proof.errno() != Errno.EPERM) {
            return new Refusal(proof.errno(), proof.failedCall(), null);
        }
        SyscallProbe read = tracer.call(() -> firstReadable(target.pid()).map(at -> {
            CallResult<Long> r = tracer.linux().processVmReadv(target.pid(), at, ByteBuffer.allocateDirect(8));
            return new SyscallProbe(String.format("process_vm_readv(%d, 8 bytes at 0x%x)", target.pid(), at), "ok",
                    r.ok() ? "ok" : r.errno().name());
        }).orElse(null));
        return new Refusal(proof.errno(), proof.failedCall(), read);
    }

    /**
     * The start of the target's first readable mapping (not simply the first: Go reserves
     * PROT_NONE heap arenas below a PIE); empty when its maps cannot be read.
     */
    private Optional<Long> firstReadable(int pid) {
        return facts.procfs().maps(pid).stream().filter(m -> m.perms().startsWith("r")).findFirst().map(Mapping::start);
    }

    /**
     * Each finding as its check restates it knowing what the proof showed: that the attach
     * worked, or what its refusal showed (checks and findings share their order).
     */
    private List<Finding> settle(List<Finding> findings, BiFunction<Check, Finding, Finding> restate) {
        List<Finding> settled = new ArrayList<>(findings.size());
        for (int i = 0; i < findings.size(); i++) {
            settled.add(restate.apply(checks.get(i), findings.get(i)));
        }
        return settled;
    }

    /**
     * What any ptrace stop (ours, Delve's, gdb's) does to the stopped threads: a few blocking
     * calls are not restarted after a stop but fail with EINTR (signal(7), "Interruption of
     * system calls and library functions by stop signals"). Go's netpoller polls again; a
     * goroutine in such a syscall returns from it, and exitsyscall clears its waitsince
     * (runtime/proc.go), so its "N minutes" start again.
     */
    static final String STOP_IS_VISIBLE = "the stop is visible to the target: a blocked epoll_wait, semop or "
            + "sigtimedwait returns EINTR when it resumes (signal(7)); Go polls again, but a goroutine in such a "
            + "syscall loses its wait minutes ([syscall, 14 minutes] becomes [syscall]), as with any debugger's attach";

    /**
     * Attach, read and detach as one task on the tracer thread: no hand-off while the target is
     * stopped. The binary is read (goroutine list, layout, pclntab) before it.
     */
    private Proof prove(TargetFacts target, List<Finding> findings) {
        GoroutineCensus.Prepared census = prepareCensus(target);
        return tracer.call(() -> proveOnTracer(target, findings, census));
    }

    /** The census of a Go target, ready before it stops; null for a binary that is not Go. */
    private GoroutineCensus.Prepared prepareCensus(TargetFacts target) {
        if (!target.binary().isGo()) {
            return null;
        }
        GoVersion v = GoVersion.parse(target.binary().buildInfo().get().goVersion()).orElse(null);
        try {
            ElfFile elf = ElfFile.open(facts.procfs().pidDir(target.pid()).resolve("exe"));
            return GoroutineCensus.prepare(elf, GoRuntime.of(elf, v == null ? -1 : v.major(), v == null ? -1 : v.minor()));
        } catch (IOException | RuntimeException e) {
            String dwarf = target.binary().format().dwarfDamage();
            return new GoroutineCensus.Prepared(Optional.empty(), dwarf != null ? GoExecutable.damagedDwarf(dwarf)
                    : "the executable could not be read: " + e.getMessage());
        }
    }

    private Proof proveOnTracer(TargetFacts target, List<Finding> findings, GoroutineCensus.Prepared census) {
        loadStopPathClasses();
        Early early = copyBeforeStop(census, target);
        CopyBuffers stoppedCopy = buffersForStoppedCopy(early);
        List<String> notes = new ArrayList<>();
        AttachResult r = tracer.attach(target.pid(), stopMode, STOP_TIMEOUT);
        // instanceof, not a pattern switch: its call site would be bootstrapped while the target is stopped.
        if (r instanceof AttachResult.Attached a) {
            return readAndDetach(a, target, census, early, stoppedCopy, notes);
        }
        if (r instanceof AttachResult.Denied d) {
            return Proof.refused(AttachMethod.SEIZE, d.failure().errno(), d.failure().call(), explaining(findings),
                    d.failure().describe());
        }
        if (r instanceof AttachResult.StopTimedOut s) {
            return Proof.didNotStop(AttachMethod.SEIZE, s.waitedMicros(),
                    "attached, but the target did not stop within " + s.waitedMicros() / 1000 + " ms (uninterruptible sleep?); detached");
        }
        AttachResult.NoSuchProcess n = (AttachResult.NoSuchProcess) r;
        return Proof.vanished(AttachMethod.SEIZE, "the process exited during the proof: " + n.detail());
    }

    private Proof readAndDetach(AttachResult.Attached a, TargetFacts target, GoroutineCensus.Prepared census, Early early,
                                CopyBuffers stoppedCopy, List<String> notes) {
        PtraceSession session = a.session();
        BinaryFacts bin = target.binary();
        GoroutineCensus counter = census == null ? null : census.census().orElse(null);
        Long versionAt = bin.symbols().get(BuildVersion.SYMBOL);
        String goVersion = null;
        GoroutineReader.Copied gs = null;
        boolean copiedStopped = false;
        try {
            MemoryReader mem = new SessionMemory(session);
            if (versionAt != null) {
                goVersion = BuildVersion.read(mem, versionAt + bin.loadBias());
            }
            if (counter != null) {
                GoroutineReader.AllGs atStop = counter.list(mem, bin.loadBias());
                // The gs are copied inside the stop only when every thread is stopped (a
                // consistent count), or when the copy made just before it cannot stand for
                // the stopped list: none was made, or a goroutine was allocated since (allgs
                // only grows). Otherwise the stop stays two reads long.
                if (stopMode == StopMode.ALL_THREADS || early == null || early.list().length() != atStop.length()) {
                    gs = counter.copy(mem, atStop, stoppedCopy);
                    copiedStopped = true;
                } else {
                    gs = early.gs();
                }
            }
            if (versionAt == null && counter == null) {
                // Still prove memory is readable: the first word of the first readable mapping.
                long first = firstReadable(target.pid()).orElse(0L);
                CallResult<Long> res = session.read(first, ByteBuffer.allocate(8));
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
        if (gs != null && !copiedStopped) {
            notes.add("the goroutines were copied just before the stop, which only the leader thread makes "
                    + "(runtime.allgs read stopped: the same length); --stop all copies them stopped");
        }
        // The target runs again: what follows reads only our copies and the binary.
        String versionFrom = goVersion == null ? null : BuildVersion.SYMBOL;
        if (goVersion == null && versionAt == null && bin.isGo()) {
            goVersion = bin.buildInfo().get().goVersion();
            versionFrom = "build info";
            notes.add("Go version from the build info: no symbol table (stripped), so runtime.buildVersion cannot be found");
        }
        GoroutineCensus.Count count = null;
        if (gs != null) {
            try {
                count = counter.count(gs, bin.loadBias());
            } catch (ElfFormatException e) {
                notes.add("goroutine count not read: the binary's pclntab is damaged: " + e.getMessage());
            }
        } else if (bin.damageCause() != null) {
            notes.add("goroutine count not read: " + bin.damageCause() + "; only the attach was proven");
        } else if (!bin.isGo()) {
            notes.add("not a Go binary: only the attach was proven");
        } else if (counter == null) {
            notes.add("goroutine count not read: " + census.problem());
        }
        notes.add(STOP_IS_VISIBLE);
        Proof.Read read = goVersion == null && count == null ? null : new Proof.Read(goVersion, versionFrom, count);
        return Proof.proven(a.method(), session.stoppedMicros(), read, session.lastReadMethod(), notes);
    }

    /** The goroutine list and its gs as copied while the target ran, just before the stop. */
    private record Early(GoroutineReader.AllGs list, GoroutineReader.Copied gs, CopyBuffers buffers) {}

    /**
     * Where a copy inside the stop goes. With every thread stopped the early copy is not used:
     * its buffers are grown by an eighth and a megabyte (goroutines made meanwhile) and given
     * back, so that the stopped copy finds its pages allocated and touched, as the goroutines
     * command's copy before the stop does. Otherwise the early copy must stay intact, and a fresh pool
     * serves the rare stopped copy.
     */
    private CopyBuffers buffersForStoppedCopy(Early early) {
        if (early == null || stopMode != StopMode.ALL_THREADS) {
            return new CopyBuffers();
        }
        CopyBuffers b = early.buffers();
        b.reserve(b.taken() + b.taken() / 8 + (1 << 20));
        b.reuse();
        return b;
    }

    /**
     * The census's copy while the target runs (process_vm_readv, no ptrace): with only the
     * leader stopped, the count comes from it when allgs has not grown by the stop; either way the
     * copying code has run once, so a copy inside the stop runs linked and warm. A copy that fails
     * here (process_vm_readv filtered, the list moving) gives null: the stopped copy says why if
     * it fails too.
     */
    private Early copyBeforeStop(GoroutineCensus.Prepared census, TargetFacts target) {
        if (census == null || census.census().isEmpty()) {
            return null;
        }
        GoroutineCensus c = census.census().get();
        MemoryReader running = new VmMemory(tracer.linux(), target.pid());
        try {
            GoroutineReader.AllGs list = c.list(running, target.binary().loadBias());
            CopyBuffers buffers = CopyBuffers.rolling();   // of the g's, only their fields are kept
            return new Early(list, c.copy(running, list, buffers), buffers);
        } catch (MemoryReader.MemoryReadException | RuntimeException e) {
            return null;
        }
    }

    /**
     * Loads and initialises the classes the stopped window uses, so that loading them (a
     * millisecond or more on a cold JVM) happens before the target stops, not while.
     */
    private static void loadStopPathClasses() {
        for (Class<?> c : List.of(BuildVersion.class, SessionMemory.class, MemoryReader.MemoryReadException.class,
                CallResult.Ok.class, CallResult.Failed.class, java.nio.ByteOrder.class, GoroutineCensus.class,
                GoroutineReader.class, GoroutineReader.Copied.class, GoroutineReader.AllGs.class, CapturedMemory.class,
                CopyBuffers.class)) {
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
