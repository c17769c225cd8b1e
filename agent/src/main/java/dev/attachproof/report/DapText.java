package dev.attachproof.report;

import dev.attachproof.delve.DapAttach;
import dev.attachproof.diagnose.Finding;

/** {@code dap} as text: one line per step with its time, then the verdict and, on failure, the doctor's why. */
public final class DapText {
    private DapText() {}

    public static String write(DapReport r, Style style) {
        StringBuilder sb = new StringBuilder();
        sb.append("dlv ").append(Style.escape(r.dlv().version())).append(" (").append(Style.escape(r.dlv().path().toString()))
                .append(", from ").append(r.foundIn()).append(") attaching to pid ").append(r.pid()).append(" over DAP\n");
        int width = r.outcome().steps().stream().mapToInt(s -> s.request().length()).max().orElse(0);
        for (DapAttach.Step s : r.outcome().steps()) {
            sb.append(String.format("  %-" + width + "s %6d ms  ", s.request(), s.millis()))
                    .append(s.ok() ? style.green("ok") : style.red("FAILED"))
                    .append(s.message() == null ? "" : "  " + Style.escape(s.message())).append('\n');
        }
        if (r.outcome().ok()) {
            sb.append(style.green("attached: Delve listed " + r.outcome().threads().size() + " goroutines"))
                    .append(" and let go; the target runs on untraced\n");
            if (!r.failingChecks().isEmpty()) {
                sb.append("the doctor's warnings for a debug session:\n");
                explain(sb, r, style);
            }
            return sb.toString();
        }
        sb.append(style.red("NOT attached: ")).append(r.outcome().failed()
                .map(s -> "the " + s.request() + " step failed: " + Style.escape(String.valueOf(s.message())))
                .orElse("Delve listed no goroutines")).append('\n');
        if (r.failingChecks().isEmpty()) {
            sb.append("the doctor's checks find no cause here (attachproof doctor ").append(r.pid()).append(" proves it)\n");
        } else {
            sb.append("why (the doctor):\n");
            explain(sb, r, style);
        }
        return sb.toString();
    }

    private static void explain(StringBuilder sb, DapReport r, Style style) {
        for (Finding f : r.failingChecks()) {
            sb.append("  ").append(style.bold(f.id())).append(": ").append(Style.escape(f.summary())).append('\n');
            if (f.remedy() != null) {
                sb.append("    remedy: ").append(Style.escape(f.remedy())).append('\n');
            }
        }
    }
}
