package dev.attachproof.ptrace;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The time a target is stopped, split into named phases that cover all of it: a lap clock.
 * Each {@link #lap} charges the time since the previous lap (or the start) to one phase, so the
 * phases add up to the whole stop by construction, and whatever is slow inside it shows under the
 * name of the work it interrupted, never as a gap. Laps cost one clock read: cheap enough for the
 * stopped window, where they are taken per step, never per goroutine.
 *
 * <p>Used on one thread at a time (the tracer thread, then the thread copying while it waits).
 */
public final class StopPhases {
    /** The phases of a goroutine snapshot's stop, in the order they happen. */
    public static final List<String> SNAPSHOT = List.of("interrupt", "wait", "goroutines", "labels", "registers",
            "stacks", "waits", "detach");

    private final Map<String, Long> nanos = new LinkedHashMap<>();
    private final long start;
    private long last;

    /** A clock started now. */
    public StopPhases() {
        start = System.nanoTime();
        last = start;
    }

    /** Charges the time since the last lap to {@code phase}; returns the clock reading. */
    public long lap(String phase) {
        long now = System.nanoTime();
        Long before = nanos.get(phase);   // no lambda: its bootstrap would cost the stop milliseconds
        nanos.put(phase, before == null ? now - last : before + now - last);
        last = now;
        return now;
    }

    /** Nanoseconds from the start to the last lap: the sum of every phase. */
    public long elapsedNanos() {
        return last - start;
    }

    /**
     * Microseconds per phase, in the order each was first charged, rounded so that they add up
     * to the elapsed microseconds exactly (each is the difference of two rounded running sums).
     */
    public Map<String, Long> micros() {
        Map<String, Long> out = new LinkedHashMap<>();
        long sum = 0;
        for (Map.Entry<String, Long> e : nanos.entrySet()) {
            out.put(e.getKey(), (sum + e.getValue()) / 1000 - sum / 1000);
            sum += e.getValue();
        }
        return Collections.unmodifiableMap(out);
    }
}
