package dev.attachproof.report;

import dev.attachproof.golang.Traceback;
import dev.attachproof.golang.WaitingOn;
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
 * 99990 goroutines [chan receive], ids 6..50004, 50006..100000, 100002..100005:
 * main.parked(0xc000080120)
 *     /src/main.go:80 +0xf2
 * created by main.main
 *     /src/main.go:43 +0x18f
 * </pre>
 * When every member of a group waits on the same object (the snapshot read what goroutines wait
 * on), a line after the header names it: {@code waiting on chan 0xc000080120 (chan int,
 * unbuffered, open) receive}.
 * The frames are as in the text format; goroutines whose stacks differ only in argument words
 * are one group (as Go's goroutine profile groups them), and a frame whose words differ among
 * its members prints "(...)". "created by" names the site, not the parent. The ids
 * are listed, runs of three or more as {@code first..last}, so that ids 15, 45 and 49 never read
 * as the range 15..49; after {@value #RUNS_SHOWN} runs, how many more ids there are (panicparse
 * lists a bucket's ids too).
 */
public final class GoroutinesGrouped {
    private GoroutinesGrouped() {}

    /** Runs of ids printed before the rest is counted. */
    static final int RUNS_SHOWN = 8;

    /** A group: the key (status words and the frames, identity of the shared records) and its members' ids. */
    private record Group(String status, List<Traceback.Frame> frames, Traceback.CreatedBy createdBy, List<Long> ids,
                         boolean[] wordsDiffer, SharedWait shared) {}

    /**
     * What every member of a group waits on, when it is the same for all: the first member's
     * objects, dropped as soon as one member waits on others (or on none).
     */
    private static final class SharedWait {
        private List<WaitingOn> objects;
        private boolean first = true;

        void add(List<WaitingOn> on) {
            if (first) {
                objects = on;
                first = false;
            } else if (objects != null && (on == null || !keys(on).equals(keys(objects)))) {
                objects = null;
            }
        }

        private static List<String> keys(List<WaitingOn> on) {
            return on.stream().map(w -> w.key() + " " + w.op()).toList();
        }
    }

    /** {@code terminal}: the target's names escaped, as in {@link GoroutinesText}. */
    public static void write(GoroutineSnapshot s, boolean all, boolean terminal, OutputStream out) throws IOException {
        Map<List<Object>, Group> groups = new LinkedHashMap<>();
        for (GoroutineSnapshot.Entry e : s.goroutines()) {
            if (e.system() && !all) {
                continue;
            }
            String status = GoroutinesText.status(e.g());
            Traceback.CreatedBy by = e.createdBy().orElse(null);
            List<Traceback.Frame> frames = e.stack().frames();
            List<Object> key = List.of(status, frames.stream().map(f -> f.withoutArgs()).toList(), by == null ? "" : by);
            Group g = groups.computeIfAbsent(key, k -> new Group(status, frames, by, new ArrayList<>(), new boolean[frames.size()],
                    new SharedWait()));
            g.ids().add(e.g().id());
            g.shared().add(s.waiting().of(e));
            for (int i = 0; i < frames.size(); i++) {
                g.wordsDiffer()[i] |= !java.util.Objects.equals(frames.get(i).args(), g.frames().get(i).args());
            }
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
            int n = g.ids().size();
            b.append(n).append(n == 1 ? " goroutine [" : " goroutines [").append(GoroutinesText.shown(g.status(), terminal)).append("], ")
                    .append(n == 1 ? "id " : "ids ");
            ids(b, g.ids());
            b.append(":\n");
            List<WaitingOn> on = g.shared().objects;
            if (on != null) {
                b.append("waiting on ");
                for (int i = 0; i < on.size(); i++) {
                    b.append(i == 0 ? "" : ", ").append(GoroutinesWaits.describe(on.get(i), terminal));
                    if (on.get(i).op() != null) {
                        b.append(' ').append(on.get(i).op());
                    }
                }
                b.append('\n');
            }
            for (int i = 0; i < g.frames().size(); i++) {
                Traceback.Frame f = g.frames().get(i);
                b.append(GoroutinesText.frame(g.wordsDiffer()[i] ? f.withoutArgs() : f, terminal));
            }
            if (g.createdBy() != null) {
                b.append("created by ").append(GoroutinesText.shown(g.createdBy().function(), terminal))
                        .append(GoroutinesText.site(g.createdBy(), terminal));
            }
            out.write(b.toString().getBytes(StandardCharsets.UTF_8));
        }
    }

    /**
     * {@code ids} in ascending order, runs of three or more as {@code first..last}, the first
     * {@value #RUNS_SHOWN} runs only, then "and N more".
     */
    static void ids(StringBuilder b, List<Long> ids) {
        long[] sorted = ids.stream().mapToLong(Long::longValue).sorted().toArray();
        int runs = 0;
        for (int i = 0; i < sorted.length; ) {
            int j = i;
            while (j + 1 < sorted.length && sorted[j + 1] == sorted[j] + 1) {
                j++;
            }
            if (runs == RUNS_SHOWN) {
                b.append(" and ").append(sorted.length - i).append(" more");
                return;
            }
            b.append(runs == 0 ? "" : ", ").append(sorted[i]);
            if (j - i >= 2) {
                b.append("..").append(sorted[j]);
            } else if (j == i + 1) {
                b.append(", ").append(sorted[j]);
            }
            runs++;
            i = j + 1;
        }
    }
}
