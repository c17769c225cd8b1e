package dev.attachproof.report;

import dev.attachproof.diagnose.Diagnosis;
import dev.attachproof.diagnose.Finding;
import dev.attachproof.diagnose.GoProcessScan;
import dev.attachproof.diagnose.Proof;
import dev.attachproof.diagnose.Status;
import dev.attachproof.golang.GoroutineCensus;

import java.util.List;

/** {@code doctor} for people: the verdict first, then each check with its remedy, then the proof. */
public final class DoctorText {
    private DoctorText() {}

    private static final String BUILD_INFO = "build info";

    public static String write(Diagnosis d, String name, Style style) {
        StringBuilder sb = new StringBuilder();
        String verdict = switch (d.verdict()) {
            case ATTACHABLE -> style.green("attachable");
            case NOT_ATTACHABLE -> style.red("NOT attachable");
            case UNKNOWN -> style.bold("unknown");
        };
        sb.append(style.bold("pid " + d.pid() + " (" + Style.escape(name) + ")")).append(": ").append(verdict);
        Proof p = d.proof();
        if (p.attempted() && p.ok()) {
            sb.append(" — proven: attached (").append(p.method().name().toLowerCase(java.util.Locale.ROOT)).append("), target stopped ")
              .append(p.stoppedMicros()).append(" µs");
        } else if (p.attempted() && p.errno() != null) {
            sb.append(" — proven: ").append(p.failedCall()).append(" failed with ").append(p.errno());
        } else if (!p.attempted()) {
            sb.append(" (predicted from the checks; no proof)");
        }
        sb.append('\n');
        if (d.contradiction() != null) {
            sb.append("  note: ").append(Style.escape(d.contradiction())).append('\n');
        }
        if (p.attempted() && p.errno() != null) {
            sb.append("  cause: ").append(p.explainedBy().isEmpty() ? "no visible rule explains it (see note)"
                    : String.join(" + ", p.explainedBy())
                      + (p.explainedBy().size() > 1 ? " (each alone would deny it)" : "")).append('\n');
        }
        sb.append('\n');
        findings(sb, d.findings(), style);
        if (p.attempted() && p.ok()) {
            sb.append('\n').append(style.bold("proof")).append(": ");
            Proof.Read read = p.read();
            GoroutineCensus.Count n = read == null ? null : read.goroutines();
            sb.append(n == null ? "attached" : "read " + n.shown() + " goroutines as Go's dump shows them (and "
                    + n.system() + " of the runtime's own, " + n.dead() + " dead kept for reuse)")
              .append(" from its memory (").append(p.readMethod()).append("), then detached");
            if (p.goVersion() != null) {
                sb.append("; ").append(Style.escape(p.goVersion())).append(" from ").append(read.goVersionFrom().equals(BUILD_INFO)
                        ? "its build info" : "its memory (" + read.goVersionFrom() + ")");
            }
            sb.append('\n');
        }
        for (String note : p.notes()) {
            if (!(p.attempted() && p.errno() != null && note.startsWith(p.failedCall()))) {
                sb.append(style.dim("  " + Style.escape(note))).append('\n');
            }
        }
        return sb.toString();
    }

    public static String writeEnvironment(List<Finding> findings, GoProcessScan.Result processes, Style style) {
        StringBuilder sb = new StringBuilder();
        sb.append(style.bold("this environment")).append(" (the tracer's side of every check)\n\n");
        findings(sb, findings.stream().filter(f -> f.status() != Status.SKIP).toList(), style);
        sb.append('\n').append(style.bold("Go processes visible here")).append('\n');
        sb.append(PsText.table(processes, style));
        return sb.toString();
    }

    static void findings(StringBuilder sb, List<Finding> findings, Style style) {
        int width = findings.stream().mapToInt(f -> f.id().length()).max().orElse(10);
        for (Finding f : findings) {
            sb.append("  ").append(style.status(f.status())).append("  ")
              .append(String.format("%-" + width + "s", f.id())).append("  ").append(Style.escape(f.summary())).append('\n');
            if (f.remedy() != null && (f.status() == Status.FAIL || f.status() == Status.WARN)) {
                sb.append(" ".repeat(width + 10)).append(style.dim("→ " + Style.escape(f.remedy()))).append('\n');
            }
        }
    }

}
