package dev.attachproof.report;

import dev.attachproof.golang.Traceback;
import dev.attachproof.snapshot.GoroutineSnapshot;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code goroutines --format json}: schema attachproof.goroutines/v1 (DESIGN.md). */
public final class GoroutinesJson {
    private GoroutinesJson() {}

    public static String write(GoroutineSnapshot s) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("schema", "attachproof.goroutines/v1");
        root.put("pid", s.pid());
        root.put("goVersion", s.goVersion());
        root.put("arch", s.arch());
        root.put("stopped", s.stopped());
        root.put("stoppedMicros", s.stoppedMicros() < 0 ? null : s.stoppedMicros());
        root.put("layoutSource", s.layoutSource().startsWith("table") ? "table" : s.layoutSource());
        root.put("layout", s.layoutSource());
        root.put("listMethod", s.listMethod());
        List<Object> gs = new ArrayList<>();
        for (GoroutineSnapshot.Entry e : s.goroutines()) {
            Map<String, Object> g = new LinkedHashMap<>();
            g.put("id", e.g().id());
            g.put("status", e.g().statusText());
            g.put("waitReason", e.g().waitReason().isEmpty() ? null : e.g().waitReason());
            g.put("waitMinutes", GoroutinesText.waitMinutes(e.g(), s.takenNanos()));
            g.put("system", e.system());
            g.put("startFunction", e.startFunction());
            g.put("threadId", e.threadId());
            g.put("lockedToThread", e.g().lockedM() != 0);
            g.put("labels", Map.of());
            List<Object> frames = new ArrayList<>();
            for (Traceback.Frame f : e.stack().frames()) {
                Map<String, Object> fr = new LinkedHashMap<>();
                fr.put("function", f.function());
                fr.put("file", f.file());
                fr.put("line", f.line());
                fr.put("pc", "0x" + Long.toHexString(f.pc()));
                fr.put("inlined", f.inlined());
                frames.add(fr);
            }
            g.put("frames", frames);
            g.put("framesElided", e.stack().elided());
            g.put("stackNote", e.stack().stopped());
            g.put("createdBy", e.createdBy().map(c -> {
                Map<String, Object> cb = new LinkedHashMap<>();
                cb.put("function", c.function());
                cb.put("file", c.file());
                cb.put("line", c.line());
                cb.put("goroutineId", e.g().parentId() == 0 ? null : e.g().parentId());
                return (Object) cb;
            }).orElse(null));
            gs.add(g);
        }
        root.put("goroutines", gs);
        root.put("notes", List.copyOf(s.notes()));
        return Json.write(root);
    }
}
