package dev.attachproof.report;

import dev.attachproof.matrix.ProbeReport;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code matrix --json}: schema attachproof.matrix/v1, one row per setting. */
public final class MatrixJson {
    private MatrixJson() {}

    public static String write(int pid, List<ProbeReport> rows) {
        List<Object> out = new ArrayList<>();
        for (ProbeReport r : rows) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("setting", r.setting());
            row.put("predicted", r.predicted());
            row.put("observed", r.applied() ? r.observed() : "skipped");
            row.put("errno", r.errno());
            row.put("agree", r.agree());
            row.put("skipped", r.skipped());
            row.put("failingChecks", r.failing().isEmpty() ? List.of() : Arrays.asList(r.failing().split(",")));
            row.put("evidence", r.evidence().isEmpty() ? null : r.evidence());
            out.add(row);
        }
        Map<String, Object> head = new LinkedHashMap<>();
        head.put("schema", "attachproof.matrix/v1");
        head.put("pid", pid);
        head.put("rows", out);
        return Json.write(head);
    }
}
