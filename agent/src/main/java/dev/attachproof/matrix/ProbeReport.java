package dev.attachproof.matrix;

import java.util.Optional;

/**
 * What one probe found, passed from the probe process to the matrix as one line of
 * tab-separated fields after a marker (a probe's other output, if any, is not mistaken for it).
 *
 * @param setting   the setting's id
 * @param skipped   why the restriction could not be applied or did not hold; null when it did
 * @param predicted the doctor's verdict from the probe thread's credentials ("attachable",
 *                  "not-attachable"); null when skipped
 * @param observed  "ok" when PTRACE_SEIZE and the read of one word worked, else the errno's name,
 *                  or "unknown" when the attach neither worked nor was refused (the target exited)
 * @param failing   the doctor's failing check ids, comma-separated ("" for none)
 * @param evidence  what the probe saw of its restriction (/proc/self/task/TID/status fields)
 */
public record ProbeReport(String setting, String skipped, String predicted, String observed, String failing,
                          String evidence) {
    static final String MARKER = "attachproof-probe-report";

    public static ProbeReport skipped(Setting setting, String why, String evidence) {
        return new ProbeReport(setting.id(), why, null, null, "", evidence);
    }

    public boolean applied() {
        return skipped == null;
    }

    /** The observed errno's name, or null when the attach worked (or nothing was observed). */
    public String errno() {
        return observed == null || observed.equals("ok") || observed.equals("unknown") ? null : observed;
    }

    /** Whether the prediction and the observation agree; false for a skipped row. */
    public boolean agree() {
        return applied() && !observed.equals("unknown") && predicted.equals("attachable") == observed.equals("ok");
    }

    public String toLine() {
        return String.join("\t", MARKER, setting, field(skipped), field(predicted), field(observed), field(failing),
                field(evidence));
    }

    /** The report in a probe's output, if it printed one. */
    public static Optional<ProbeReport> find(String output) {
        return output.lines().filter(l -> l.startsWith(MARKER + "\t")).reduce((a, b) -> b).map(l -> {
            String[] f = l.split("\t", -1);
            if (f.length != 7) {
                throw new IllegalArgumentException("a probe report of " + f.length + " fields: " + l);
            }
            return new ProbeReport(f[1], value(f[2]), value(f[3]), value(f[4]), f[5], f[6]);
        });
    }

    private static String field(String s) {
        return s == null ? "-" : s.replace('\t', ' ').replace('\n', ' ');
    }

    private static String value(String f) {
        return f.equals("-") ? null : f;
    }
}
