package dev.attachproof.report;

import dev.attachproof.golang.Goroutine;
import dev.attachproof.golang.WaitingOn;
import dev.attachproof.snapshot.GoroutineSnapshot;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * {@code goroutines PID --waits}: the objects goroutines are blocked on, each with how many wait
 * on it and which, biggest first, then the runtime's own deadlock verdict where it holds:
 * <pre>
 * chan 0xc000080120 (chan int, unbuffered, open): 25,000 goroutines receive, 0 send; ids 6..25005
 * sync.Mutex 0x5bd178: 3 goroutines; ids 23..25
 * </pre>
 * A goroutine in a select counts on each of its channels, with its case's op.
 */
public final class GoroutinesWaits {
    private GoroutinesWaits() {}

    /** One object and the goroutines blocked on it. */
    public record Shared(WaitingOn object, List<Long> ids, int receive, int send) {}

    /** The objects of {@code s}, biggest first (by their first goroutine's id among equals). */
    public static List<Shared> objects(GoroutineSnapshot s) {
        Map<String, WaitingOn> objects = new LinkedHashMap<>();
        Map<String, List<Long>> ids = new LinkedHashMap<>();
        Map<String, int[]> ops = new LinkedHashMap<>();
        for (GoroutineSnapshot.Entry e : s.goroutines()) {
            List<WaitingOn> on = s.waiting().of(e);
            if (on == null) {
                continue;
            }
            for (WaitingOn w : on) {
                String key = w.key();
                objects.putIfAbsent(key, w);
                ids.computeIfAbsent(key, k -> new ArrayList<>()).add(e.g().id());
                int[] counts = ops.computeIfAbsent(key, k -> new int[2]);
                if ("receive".equals(w.op())) {
                    counts[0]++;
                } else if ("send".equals(w.op())) {
                    counts[1]++;
                }
            }
        }
        List<Shared> out = new ArrayList<>();
        objects.forEach((k, w) -> out.add(new Shared(w, ids.get(k), ops.get(k)[0], ops.get(k)[1])));
        out.sort((a, b) -> Integer.compare(b.ids().size(), a.ids().size()));
        return out;
    }

    /** Whether {@code e} waits on a channel a timer sends on: one of time.Time. */
    private static boolean onATimer(GoroutineSnapshot s, GoroutineSnapshot.Entry e) {
        List<WaitingOn> on = s.waiting().of(e);
        if (on != null) {
            for (WaitingOn w : on) {
                if ("chan".equals(w.kind()) && "time.Time".equals(w.elemType())) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * "all goroutines are asleep" when no goroutine of the program (system ones aside) is running,
     * runnable, in a syscall, waiting for the network poller or sleeping in time.Sleep: what makes
     * the runtime's checkdead throw "all goroutines are asleep - deadlock!" (runtime/proc.go).
     * checkdead holds off while a timer is armed; the timers themselves are not read, so a
     * goroutine waiting on a channel of time.Time (a time.After's, a Timer's or a Ticker's)
     * withholds the verdict; a time.AfterFunc's timer, which has no channel, is not seen.
     */
    public static Optional<String> deadlock(GoroutineSnapshot s) {
        int user = 0;
        for (GoroutineSnapshot.Entry e : s.goroutines()) {
            if (e.system()) {
                continue;
            }
            user++;
            int st = e.g().baseStatus();
            String reason = e.g().waitReason();
            if (st != Goroutine.G_WAITING || reason.equals("sleep") || reason.equals("IO wait") || onATimer(s, e)) {
                return Optional.empty();
            }
        }
        return user == 0 ? Optional.empty() : Optional.of("all goroutines are asleep");
    }

    /** What names {@code w} in text: "chan 0x… (chan int, unbuffered, open)", "sync.Mutex 0x…". */
    public static String describe(WaitingOn w, boolean terminal) {
        String head = w.kind() + " 0x" + Long.toHexString(w.address());
        if (!w.isChan()) {
            return head;
        }
        String type = w.elemType() == null ? "chan ?" : "chan " + GoroutinesText.shown(w.elemType(), terminal);
        String buffer = w.cap() == 0 ? "unbuffered" : "buffered " + w.len() + "/" + w.cap();
        return head + " (" + type + ", " + buffer + ", " + (w.closed() ? "closed" : "open") + ")";
    }

    /** Writes the objects and the verdict; a line saying so when no goroutine waits on an object. */
    public static void write(GoroutineSnapshot s, boolean terminal, OutputStream out) throws IOException {
        StringBuilder b = new StringBuilder();
        List<Shared> objects = objects(s);
        for (Shared o : objects) {
            int n = o.ids().size();
            b.append(describe(o.object(), terminal)).append(": ");
            if (o.object().isChan()) {
                b.append(String.format(Locale.ROOT, "%,d goroutine%s receive, %,d send", o.receive(),
                        o.receive() == 1 ? "" : "s", o.send()));
            } else {
                b.append(String.format(Locale.ROOT, "%,d goroutine%s", n, n == 1 ? "" : "s"));
            }
            b.append("; ").append(n == 1 ? "id " : "ids ");
            GoroutinesGrouped.ids(b, o.ids());
            b.append('\n');
        }
        if (objects.isEmpty()) {
            b.append("no goroutine is blocked on a channel or a sync value\n");
        }
        deadlock(s).ifPresent(v -> b.append(v).append('\n'));
        out.write(b.toString().getBytes(StandardCharsets.UTF_8));
    }
}
