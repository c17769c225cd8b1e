package dev.attachproof.report;

import dev.attachproof.diagnose.GoProcess;
import dev.attachproof.diagnose.GoProcessScan;

import java.util.List;

/** {@code ps} for people: one line per Go process. */
public final class PsText {
    private PsText() {}

    public static String table(GoProcessScan.Result scan, Style style) {
        StringBuilder sb = new StringBuilder(rows(scan.processes()));
        if (scan.unreadable() > 0) {
            sb.append(style.dim("  " + scan.unreadable() + " more process" + (scan.unreadable() == 1 ? "" : "es")
                    + " could not be inspected (the kernel refused " + (scan.unreadable() == 1 ? "its executable" : "their executables") + ": Go or not cannot be told):")).append('\n');
            for (GoProcessScan.Uninspected u : scan.uninspected()) {
                sb.append(style.dim(String.format("  %7d  %-16s %6d  %s", u.pid(), Style.escape(u.name()), u.uid(),
                        Style.escape(u.causes().isEmpty() ? u.reason() : String.join(", ", u.causes()) + ": " + u.reason())))).append('\n');
            }
        }
        return sb.toString();
    }

    private static String rows(List<GoProcess> processes) {
        if (processes.isEmpty()) {
            return "  (none)\n";
        }
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("  %7s  %-16s %6s  %-10s %-14s  %s%n", "PID", "NAME", "UID", "GO", "PREDICTED", "MAIN PACKAGE / WHY NOT"));
        for (GoProcess p : processes) {
            String why = p.causes().isEmpty() ? p.path() : String.join(", ", p.causes());
            sb.append(String.format("  %7d  %-16s %6d  %-10s %-14s  %s%n", p.pid(), Style.escape(p.name()), p.uid(), Style.escape(p.goVersion()),
                    p.predicted().word(), Style.escape(why)));
        }
        return sb.toString();
    }
}
