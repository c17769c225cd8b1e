package dev.attachproof.report;

import dev.attachproof.diagnose.ContainerTarget;
import dev.attachproof.golang.Traceback;
import dev.attachproof.snapshot.GoroutineSnapshot;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code goroutines --format json}: schema attachproof.goroutines/v1 (docs/schemas/goroutines.v1.schema.json), one goroutine
 * per line, streamed. Frames repeat across goroutines, so each frame's JSON is made once.
 */
public final class GoroutinesJson {
    private GoroutinesJson() {}

    public static String write(GoroutineSnapshot s) {
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        try {
            write(s, null, b);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return b.toString(StandardCharsets.UTF_8);
    }

    /** {@code container}: how a container's id chose the pid (null when a pid was given). */
    public static void write(GoroutineSnapshot s, ContainerTarget container, OutputStream out) throws IOException {
        Map<String, Object> head = new LinkedHashMap<>();
        head.put("schema", "attachproof.goroutines/v1");
        head.put("pid", s.pid());
        head.put("container", DoctorJson.container(container));   // added to v1
        head.put("goVersion", s.goVersion());
        head.put("arch", s.arch());
        head.put("stopped", s.stopped());
        head.put("stoppedMicros", s.stoppedMicros() < 0 ? null : s.stoppedMicros());
        head.put("layoutSource", s.layoutSource().startsWith("table") ? "table" : s.layoutSource());
        head.put("layout", s.layoutSource());
        head.put("listMethod", s.listMethod());
        head.put("notes", List.copyOf(s.notes()));
        head.put("phaseMicros", new java.util.TreeMap<>(s.phaseMicros()));
        head.put("stopPhaseMicros", s.stopPhaseMicros());   // in order; they add up to stoppedMicros
        head.put("stacksKept", s.stacksKept() < 0 ? null : s.stacksKept());   // added to v1: copied before the stop, unchanged at it
        head.put("maxStopMicros", s.maxStopMicros() < 0 ? null : s.maxStopMicros());   // added to v1: --max-stop
        head.put("readAfterStop", s.readAfterStop());   // added to v1: stacks read once the limit let the target go
        head.put("binaryCache", s.binaryCache().word());   // added to v1: whether the binary's findings came from the cache
        String top = Json.write(head).strip();
        // The object without its closing brace, then the goroutines, then the brace.
        out.write(top.substring(0, top.length() - 1).stripTrailing().getBytes(StandardCharsets.UTF_8));
        out.write(",\n  \"goroutines\": [\n".getBytes(StandardCharsets.UTF_8));
        IdentityHashMap<Traceback.Frame, String> frames = new IdentityHashMap<>();
        IdentityHashMap<Traceback.CreatedBy, String> sites = new IdentityHashMap<>();
        StringBuilder b = new StringBuilder(512);
        boolean first = true;
        for (GoroutineSnapshot.Entry e : s.goroutines()) {
            b.setLength(0);
            b.append(first ? "    {" : ",\n    {");
            first = false;
            b.append("\"id\": ").append(e.g().id());
            b.append(", \"status\": ");
            Json.string(b, e.g().statusText());
            b.append(", \"waitReason\": ");
            if (e.g().waitReason().isEmpty()) {
                b.append("null");
            } else {
                Json.string(b, e.g().waitReason());
            }
            b.append(", \"waitMinutes\": ").append(GoroutinesText.waitMinutes(e.g(), s.takenNanos()));
            b.append(", \"system\": ").append(e.system());
            b.append(", \"startFunction\": ");
            Json.string(b, e.startFunction());
            b.append(", \"threadId\": ").append(e.threadId());
            b.append(", \"lockedToThread\": ").append(e.g().lockedM() != 0);
            b.append(", \"readAfterStop\": ").append(e.readAfterStop());
            b.append(", \"labels\": {");
            boolean firstLabel = true;
            for (Map.Entry<String, String> l : e.labels().entrySet()) {
                b.append(firstLabel ? "" : ", ");
                firstLabel = false;
                Json.string(b, l.getKey());
                b.append(": ");
                Json.string(b, l.getValue());
            }
            b.append("}, \"waitingOn\": ");   // added to v1
            WaitingOnJson.append(b, s.waiting().of(e));
            b.append(", \"frames\": [");
            List<Traceback.Frame> fs = e.stack().frames();
            for (int i = 0; i < fs.size(); i++) {
                if (i > 0) {
                    b.append(", ");
                }
                b.append(frames.computeIfAbsent(fs.get(i), GoroutinesJson::frame));
            }
            b.append("], \"framesElided\": ").append(e.stack().elided());
            b.append(", \"stackNote\": ");
            if (e.stack().stopped() == null) {
                b.append("null");
            } else {
                Json.string(b, e.stack().stopped());
            }
            b.append(", \"createdBy\": ");
            if (e.createdBy().isEmpty()) {
                b.append("null");
            } else {
                b.append(sites.computeIfAbsent(e.createdBy().get(), GoroutinesJson::site));
                b.append(", \"goroutineId\": ").append(e.g().parentId() == 0 ? "null" : Long.toString(e.g().parentId())).append('}');
            }
            b.append('}');
            out.write(b.toString().getBytes(StandardCharsets.UTF_8));
        }
        out.write("\n  ]\n}\n".getBytes(StandardCharsets.UTF_8));
    }

    private static String frame(Traceback.Frame f) {
        StringBuilder b = new StringBuilder(160).append("{\"function\": ");
        Json.string(b, f.function());
        b.append(", \"file\": ");
        Json.string(b, f.file());
        return b.append(", \"line\": ").append(f.line()).append(", \"pc\": \"0x").append(Long.toHexString(f.pc()))
                .append("\", \"inlined\": ").append(f.inlined()).append(", \"args\": ").append(argsJson(f)).append('}').toString();
    }

    /**
     * What Go prints between the frame's parentheses ("0xc000080120, 0x0?", "" for none, "..."
     * for an inlined frame); added to v1.
     */
    private static String argsJson(Traceback.Frame f) {
        StringBuilder b = new StringBuilder(40);
        Json.string(b, f.args() == null ? "..." : f.args());
        return b.toString();
    }

    /** A created-by object without its goroutineId and closing brace. */
    private static String site(Traceback.CreatedBy c) {
        StringBuilder b = new StringBuilder(160).append("{\"function\": ");
        Json.string(b, c.function());
        b.append(", \"file\": ");
        Json.string(b, c.file());
        return b.append(", \"line\": ").append(c.line()).toString();
    }
}
