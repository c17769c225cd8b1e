package dev.attachproof.report;

import dev.attachproof.diagnose.GoProcess;

import java.util.List;

/** {@code ps} for people: one line per Go process. */
public final class PsText {
    private PsText() {}

    public static String table(List<GoProcess> processes, Style style) {
        if (processes.isEmpty()) {
            return "  (none)\n";
        }
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("  %7s  %-16s %6s  %-10s %-14s  %s%n", "PID", "NAME", "UID", "GO", "PREDICTED", "MAIN PACKAGE / WHY NOT"));
        for (GoProcess p : processes) {
            String why = p.causes().isEmpty() ? p.path() : String.join(", ", p.causes());
            sb.append(String.format("  %7d  %-16s %6d  %-10s %-14s  %s%n", p.pid(), p.name(), p.uid(), p.goVersion(),
                    p.predicted().json(), why));
        }
        return sb.toString();
    }
}
