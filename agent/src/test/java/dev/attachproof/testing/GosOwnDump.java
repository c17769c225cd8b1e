package dev.attachproof.testing;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A snapshot's text against the target's own runtime.Stack(all), compared goroutine by
 * goroutine: id, status and wait reason, every frame's function and argument words, file:line
 * and +0x offset, elided frames, "created by": each goroutine's text byte for byte. Used on the host (agent tests) and on texts a VM printed
 * (it-tests, from this module's test jar), so both compare the same way.
 */
public final class GosOwnDump {
    private static final Pattern HEADER = Pattern.compile("^goroutine (\\d+) \\[([^\\]]*)\\]:$");

    private GosOwnDump() {}

    /**
     * Asserts that every goroutine of Go's dump {@code gos} reads the same in {@code ours}, the
     * same goroutines in both; returns how many were compared. Only the goroutines that change by
     * nature are left out: the dumper and the spinner ([running], [runnable] in Go's stopped
     * world), and os/signal's loop, which the SIGUSR2 that asked for the dump woke.
     */
    public static int assertSame(String gos, String ours) {
        Map<String, String> theirs = blocks(gos);
        Map<String, String> mine = blocks(ours);
        var onlyGo = new TreeSet<>(theirs.keySet());
        onlyGo.removeAll(mine.keySet());
        var onlyOurs = new TreeSet<>(mine.keySet());
        onlyOurs.removeAll(theirs.keySet());
        assertTrue(onlyGo.isEmpty() && onlyOurs.isEmpty(), "the same goroutines: only in Go's dump " + onlyGo
                + ", only in ours " + onlyOurs + onlyOurs.stream().map(mine::get).toList());
        int compared = 0;
        for (String id : theirs.keySet()) {
            String go = theirs.get(id);
            String our = mine.get(id);
            if (go.contains(" [running]:") || go.contains(" [runnable]:") || our.contains(" [running]:")
                    || go.contains("os/signal.")) {
                continue;
            }
            assertEquals(go, our, "goroutine " + id);
            compared++;
        }
        return compared;
    }

    /** Go traceback text split per goroutine, keyed by id, each goroutine's lines as printed (blank lines left out). */
    public static Map<String, String> blocks(String text) {
        Map<String, String> out = new LinkedHashMap<>();
        String id = null;
        StringBuilder b = new StringBuilder();
        for (String line : (text + "\n").split("\n")) {
            Matcher m = HEADER.matcher(line);
            if (m.matches()) {
                if (id != null) {
                    out.put(id, b.toString().strip());
                }
                id = m.group(1);
                b = new StringBuilder();
            }
            if (!line.isBlank()) {
                b.append(line).append('\n');
            }
        }
        if (id != null) {
            out.put(id, b.toString().strip());
        }
        return out;
    }
}
