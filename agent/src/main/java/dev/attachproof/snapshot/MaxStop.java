package dev.attachproof.snapshot;

import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The limit on how long a snapshot keeps its target stopped (--max-stop, {@code maxStop=}): a
 * number and a unit, as Go writes durations ({@code 50ms}, {@code 1.5s}, {@code 500us}), or
 * {@code off}.
 */
public final class MaxStop {
    /** What a sidecar's snapshots are limited to unless asked otherwise: well under one request's timeout. */
    public static final Duration SERVE_DEFAULT = Duration.ofMillis(50);

    /** Below this nothing can be read while stopped: the stop and detach alone take longer. */
    private static final Duration LEAST = Duration.ofMillis(1);

    private static final Pattern FORM = Pattern.compile("(\\d+(?:\\.\\d+)?)(us|µs|ms|s)");

    private MaxStop() {
    }

    /**
     * {@code text} as a limit; empty for {@code off}.
     *
     * @throws IllegalArgumentException naming the forms accepted
     */
    public static Optional<Duration> parse(String text) {
        String t = text.strip().toLowerCase(Locale.ROOT);
        if (t.equals("off")) {
            return Optional.empty();
        }
        Matcher m = FORM.matcher(t);
        if (!m.matches()) {
            throw new IllegalArgumentException("not a duration: " + quoted(text) + "; give e.g. 50ms, 0.2s, 500us, or off");
        }
        double unit = switch (m.group(2)) {
            case "s" -> 1e9;
            case "ms" -> 1e6;
            default -> 1e3;
        };
        double nanos = Double.parseDouble(m.group(1)) * unit;
        if (nanos > Duration.ofMinutes(1).toNanos()) {
            throw new IllegalArgumentException("a stop limit of " + text.strip() + " is no limit; give at most 60s, or off");
        }
        Duration d = Duration.ofNanos((long) nanos);
        if (d.compareTo(LEAST) < 0) {
            throw new IllegalArgumentException("a stop limit of " + text.strip() + " is too short to read anything while "
                    + "stopped; give at least 1ms, or off");
        }
        return Optional.of(d);
    }

    /** {@code d} as this class reads it: "50ms", "1.5s". */
    public static String format(Duration d) {
        long micros = d.toNanos() / 1000;
        if (micros % 1_000_000 == 0) {
            return micros / 1_000_000 + "s";
        }
        if (micros % 1000 == 0) {
            return micros / 1000 + "ms";
        }
        return micros + "us";
    }

    private static String quoted(String s) {
        return "\"" + s.replace("\"", "\\\"") + "\"";
    }
}
