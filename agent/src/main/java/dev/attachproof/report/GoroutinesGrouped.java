package dev.attachproof.report;

import dev.attachproof.golang.Traceback;
import dev.attachproof.snapshot.GoroutineSnapshot;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code goroutines --group}: goroutines with the same state and the same stack collapsed into
 * one entry, biggest group first, with how many there are and their ids (what a person needs
 * with 100,000 goroutines, where Delve's IDE integration stops at 1,024):
 * <pre>
 * 99990 goroutines [chan receive], ids 6..100005 (99990 in all):
 * main.parked(...)
 *     /src/main.go:80 +0xf2
 * created by main.main
 *     /src/main.go:43 +0x18f
 * </pre>
 * The frames are as in the text format; "created by" names the site, not the parent.
 */
public final class GoroutinesGrouped {
    private GoroutinesGrouped() {}

    /** A group: the key (status words and the frames, identity of the shared records) and its members' ids. */
    private record Group(String status, List<Traceback.Frame> frames, Traceback.CreatedBy createdBy, List<Long> ids) {}

    public static void write(GoroutineSnapshot s, boolean all, OutputStream out) throws IOException {
        Map<List<Object>, Group> groups = new LinkedHashMap<>();
        for (GoroutineSnapshot.Entry e : s.goroutines()) {
            if (e.system() && !all) {
                continue;
            }
            String status = GoroutinesText.status(e.g());
            Traceback.CreatedBy by = e.createdBy().orElse(null);
            // Frames are shared records per PC: equal stacks are equal lists.
            List<Object> key = List.of(status, e.stack().frames(), by == null ? "" : by);
            groups.computeIfAbsent(key, k -> new Group(status, e.stack().frames(), by, new ArrayList<>())).ids().add(e.g().id());
        }
        List<Group> sorted = new ArrayList<>(groups.values());
        sorted.sort((a, b) -> Integer.compare(b.ids().size(), a.ids().size()));
        StringBuilder b = new StringBuilder();
        boolean first = true;
        for (Group g : sorted) {
            b.setLength(0);
            if (!first) {
                b.append('\n');
            }
            first = false;
            long min = g.ids().stream().mapToLong(Long::longValue).min().orElse(0);
            long max = g.ids().stream().mapToLong(Long::longValue).max().orElse(0);
            int n = g.ids().size();
            b.append(n).append(n == 1 ? " goroutine [" : " goroutines [").append(g.status()).append("], ")
                    .append(n == 1 ? "id " + min : "ids " + min + ".." + max).append(":\n");
            for (Traceback.Frame f : g.frames()) {
                b.append(GoroutinesText.frame(f));
            }
            if (g.createdBy() != null) {
                b.append("created by ").append(g.createdBy().function()).append(GoroutinesText.site(g.createdBy()));
            }
            out.write(b.toString().getBytes(StandardCharsets.UTF_8));
        }
    }
}
