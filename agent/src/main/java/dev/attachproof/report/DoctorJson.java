package dev.attachproof.report;

import dev.attachproof.diagnose.ContainerTarget;
import dev.attachproof.diagnose.Diagnosis;
import dev.attachproof.diagnose.Finding;
import dev.attachproof.diagnose.Proof;
import dev.attachproof.diagnose.GoProcessScan;
import dev.attachproof.golang.GoroutineCensus;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code doctor --json}: schema attachproof.doctor/v1 (docs/schemas/doctor.v1.schema.json). */
public final class DoctorJson {
    public static final String SCHEMA = "attachproof.doctor/v1";

    private DoctorJson() {}

    public static String write(Diagnosis d) {
        return write(d, null);
    }

    /** {@code container}: how a container's id chose the pid (null when a pid was given). */
    public static String write(Diagnosis d, ContainerTarget container) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("schema", SCHEMA);
        root.put("pid", d.pid());
        root.put("container", container(container));   // added to v1
        root.put("verdict", d.verdict().json());
        root.put("predicted", d.predicted().json());
        root.put("contradiction", d.contradiction());
        root.put("checks", d.findings().stream().map(DoctorJson::finding).toList());
        root.put("proof", proof(d.proof()));
        return Json.write(root);
    }

    /** The no-pid form: this side's checks and every visible Go process with its prediction. */
    public static String writeEnvironment(List<Finding> findings, GoProcessScan.Result scan) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("schema", SCHEMA);
        root.put("pid", null);
        root.put("verdict", "unknown");
        root.put("checks", findings.stream().map(DoctorJson::finding).toList());
        root.put("processes", scan.processes().stream().map(PsJson::process).toList());
        root.put("uninspected", scan.unreadable());
        root.put("uninspectedProcesses", PsJson.uninspected(scan));
        return Json.write(root);
    }

    /**
     * {@code "container"}, added to v1 in the doctor and goroutines documents: the container's
     * full id, the pid chosen in it, why that one, and among how many; null when a pid was given.
     */
    static Map<String, Object> container(ContainerTarget c) {
        if (c == null) {
            return null;
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", c.id());
        m.put("pid", c.pid());
        m.put("exe", c.exe());
        m.put("chosen", c.chosen().json());
        m.put("processes", c.processes());
        m.put("goPrograms", c.goPrograms());
        return m;
    }

    static Map<String, Object> finding(Finding f) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", f.id());
        m.put("status", f.status().json());
        m.put("summary", f.summary());
        m.put("evidence", f.evidence());
        m.put("remedy", f.remedy());
        return m;
    }

    static Map<String, Object> proof(Proof p) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("attempted", p.attempted());
        m.put("ok", p.ok());
        m.put("method", p.method() == null ? null : p.method().name().toLowerCase(java.util.Locale.ROOT));
        m.put("errno", p.errno() == null ? null : p.errno().name());
        m.put("failedCall", p.failedCall());
        m.put("stoppedMicros", p.stoppedMicros() < 0 ? null : p.stoppedMicros());
        m.put("goVersion", p.goVersion());
        m.put("goroutines", p.goroutines());
        // Added to v1 (fields are only ever added): what "goroutines" counts, and the rest of the list.
        GoroutineCensus.Count n = p.read() == null ? null : p.read().goroutines();
        m.put("goroutinesCounted", n == null ? null : GoroutineCensus.Count.COUNTED);
        m.put("goroutinesSystem", n == null ? null : n.system());
        m.put("goroutinesDead", n == null ? null : n.dead());
        m.put("goroutineList", n == null ? null : n.listMethod());
        m.put("goVersionFrom", p.read() == null ? null : p.read().goVersionFrom());
        m.put("readMethod", p.readMethod());
        m.put("explainedBy", p.explainedBy());
        m.put("notes", p.notes());
        return m;
    }
}
