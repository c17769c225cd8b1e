package dev.attachproof.report;

import dev.attachproof.diagnose.GoProcess;
import dev.attachproof.diagnose.GoProcessScan;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code ps --json}: schema attachproof.ps/v1. */
public final class PsJson {
    private PsJson() {}

    public static String write(GoProcessScan.Result scan) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("schema", "attachproof.ps/v1");
        root.put("processes", scan.processes().stream().map(PsJson::process).toList());
        root.put("uninspected", scan.unreadable());
        root.put("uninspectedProcesses", uninspected(scan));
        return Json.write(root);
    }

    /** Each process whose executable the kernel refused, and why (added to v1 beside the "uninspected" count). */
    static List<Map<String, Object>> uninspected(GoProcessScan.Result scan) {
        return scan.uninspected().stream().map(u -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("pid", u.pid());
            m.put("name", u.name());
            m.put("uid", u.uid());
            m.put("errno", u.errno());
            m.put("causes", u.causes());
            m.put("reason", u.reason());
            return m;
        }).toList();
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
