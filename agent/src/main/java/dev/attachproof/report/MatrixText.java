package dev.attachproof.report;

import dev.attachproof.matrix.ProbeReport;

import java.util.List;

/** {@code matrix} as a table: per setting, the doctor's prediction, what the kernel did, and whether they agree. */
public final class MatrixText {
    private MatrixText() {}

    public static String write(int pid, String name, List<ProbeReport> rows) {
        StringBuilder b = new StringBuilder();
        b.append("attachproof matrix: pid ").append(pid).append(" (").append(Style.escape(name)).append("), each setting in a probe of its own\n\n");
        b.append(String.format("%-31s %-15s %-9s %-6s %s%n", "setting", "predicted", "observed", "agree", "doctor's failing checks"));
        for (ProbeReport r : rows) {
            if (!r.applied()) {
                b.append(String.format("%-31s skipped: %s%n", r.setting(), Style.escape(r.skipped())));
                continue;
            }
            b.append(String.format("%-31s %-15s %-9s %-6s %s%n", r.setting(), r.predicted(), r.observed(),
                    r.agree() ? "yes" : "NO", r.failing().isEmpty() ? "-" : r.failing().replace(",", ", ")));
        }
        long tried = rows.stream().filter(ProbeReport::applied).count();
        long disagree = rows.stream().filter(r -> r.applied() && !r.agree()).count();
        b.append('\n').append(tried).append(" settings tried, ").append(rows.size() - tried).append(" skipped; ")
                .append(disagree == 0 ? "every prediction held" : disagree + " prediction(s) did not hold").append('\n');
        return b.toString();
    }
}
