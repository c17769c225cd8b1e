package dev.attachproof.report;

import dev.attachproof.diagnose.GoProcess;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code ps --json}: schema attachproof.ps/v1. */
public final class PsJson {
    private PsJson() {}

    public static String write(List<GoProcess> processes) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("schema", "attachproof.ps/v1");
        root.put("processes", processes.stream().map(PsJson::process).toList());
        return Json.write(root);
    }

    static Map<String, Object> process(GoProcess p) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("pid", p.pid());
        m.put("name", p.name());
        m.put("uid", p.uid());
        m.put("goVersion", p.goVersion());
        m.put("path", p.path());
        m.put("predicted", p.predicted().json());
        m.put("causes", p.causes());
        return m;
    }
}
