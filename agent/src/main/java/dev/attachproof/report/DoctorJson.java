package dev.attachproof.report;

import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import dev.attachproof.diagnose.ContainerTarget;
import dev.attachproof.diagnose.Diagnosis;
import dev.attachproof.diagnose.Finding;
import dev.attachproof.diagnose.GoProcessScan;
import dev.attachproof.diagnose.Proof;
import dev.attachproof.diagnose.Status;
import dev.attachproof.diagnose.Verdict;
import dev.attachproof.golang.GoroutineCensus;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code doctor --json}: schema attachproof.doctor/v1 (docs/schemas/doctor.v1.schema.json), written
 * by {@link JsonDocuments} from the records below (their order is the document's).
 */
public final class DoctorJson {
    public static final String SCHEMA = "attachproof.doctor/v1";

    private DoctorJson() {}

    /** The document of one target. {@code container} added to v1. */
    record Document(String schema, int pid, Container container, Verdict verdict, Verdict predicted, String contradiction,
                    List<Check> checks, ProofJson proof) {}

    /** The no-pid form: this side's checks and every visible Go process with its prediction. */
    record Environment(String schema, Integer pid, Verdict verdict, List<Check> checks, List<PsJson.Process> processes,
                       int uninspected, List<PsJson.Uninspected> uninspectedProcesses) {}

    /**
     * {@code "container"}, added to v1 in the doctor and goroutines documents: the container's
     * full id, the pid chosen in it, why that one, and among how many; null when a pid was given.
     */
    record Container(String id, int pid, String exe, ContainerTarget.Chosen chosen, int processes, int goPrograms) {
        static Container of(ContainerTarget c) {
            return c == null ? null : new Container(c.id(), c.pid(), c.exe(), c.chosen(), c.processes(), c.goPrograms());
        }
    }

    /** A check's finding; its evidence is the contract's one open object ({@link OpenValueSerializer}). */
    record Check(String id, Status status, String summary, @JsonSerialize(using = OpenValueSerializer.class) Map<String, Object> evidence,
                 String remedy) {
        static Check of(Finding f) {
            return new Check(f.id(), f.status(), f.summary(), f.evidence(), f.remedy());
        }
    }

    /**
     * The proof. Fields after {@code goroutines} are added to v1 (fields are only ever added):
     * what "goroutines" counts, the rest of the list, where the version came from, how memory was
     * read, which checks explain a refusal.
     */
    record ProofJson(boolean attempted, boolean ok, String method, String errno, String failedCall, Long stoppedMicros,
                     String goVersion, Long goroutines, String goroutinesCounted, Long goroutinesSystem, Long goroutinesDead,
                     String goroutineList, String goVersionFrom, String readMethod, List<String> explainedBy, List<String> notes) {
        static ProofJson of(Proof p) {
            GoroutineCensus.Count n = p.read() == null ? null : p.read().goroutines();
            return new ProofJson(p.attempted(), p.ok(), p.method() == null ? null : p.method().name().toLowerCase(Locale.ROOT),
                    p.errno() == null ? null : p.errno().name(), p.failedCall(), p.stoppedMicros() < 0 ? null : p.stoppedMicros(),
                    p.goVersion(), p.goroutines(), n == null ? null : GoroutineCensus.Count.COUNTED, n == null ? null : n.system(),
                    n == null ? null : n.dead(), n == null ? null : n.listMethod(), p.read() == null ? null : p.read().goVersionFrom(),
                    p.readMethod(), p.explainedBy(), p.notes());
        }
    }

    public static String write(Diagnosis d) {
        return write(d, null);
    }

    /** {@code container}: how a container's id chose the pid (null when a pid was given). */
    public static String write(Diagnosis d, ContainerTarget container) {
        return JsonDocuments.write(new Document(SCHEMA, d.pid(), Container.of(container), d.verdict(), d.predicted(), d.contradiction(),
                checks(d.findings()), ProofJson.of(d.proof())));
    }

    /** The no-pid form: this side's checks and every visible Go process with its prediction. */
    public static String writeEnvironment(List<Finding> findings, GoProcessScan.Result scan) {
        return JsonDocuments.write(new Environment(SCHEMA, null, Verdict.UNKNOWN, checks(findings), PsJson.processes(scan),
                scan.unreadable(), PsJson.uninspected(scan)));
    }

    private static List<Check> checks(List<Finding> findings) {
        return findings.stream().map(Check::of).toList();
    }
}
