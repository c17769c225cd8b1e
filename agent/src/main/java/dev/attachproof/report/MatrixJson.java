package dev.attachproof.report;

import dev.attachproof.matrix.ProbeReport;

import java.util.Arrays;
import java.util.List;

/** {@code matrix --json}: schema attachproof.matrix/v1, one row per setting, written by {@link JsonDocuments} from the records below. */
public final class MatrixJson {
    private MatrixJson() {}

    record Document(String schema, int pid, List<Row> rows) {}

    /** One setting: what the doctor predicted under it and what the attach did ("skipped" when it could not be applied). */
    record Row(String setting, String predicted, String observed, String errno, boolean agree, String skipped,
               List<String> failingChecks, String evidence) {
        static Row of(ProbeReport r) {
            return new Row(r.setting(), r.predicted(), r.applied() ? r.observed() : "skipped", r.errno(), r.agree(), r.skipped(),
                    r.failing().isEmpty() ? List.of() : Arrays.asList(r.failing().split(",")), r.evidence().isEmpty() ? null : r.evidence());
        }
    }

    public static String write(int pid, List<ProbeReport> rows) {
        return JsonDocuments.write(new Document("attachproof.matrix/v1", pid, rows.stream().map(Row::of).toList()));
    }
}
