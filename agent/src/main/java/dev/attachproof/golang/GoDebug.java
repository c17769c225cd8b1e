package dev.attachproof.golang;

import java.util.OptionalInt;

/**
 * A GODEBUG setting as the Go runtime decides it at start (runtime1.go, parsedebugvars): the
 * binary's default (its build info's DefaultGODEBUG, from go.mod's godebug lines and //go:debug
 * directives) first, then the GODEBUG environment variable; in each, comma-separated key=value
 * fields left to right, the later overwriting the earlier. Values that are not integers are ignored.
 */
public final class GoDebug {
    private GoDebug() {}

    /** {@code key}'s value, or empty when neither string sets it. */
    public static OptionalInt setting(String binaryDefault, String environment, String key) {
        OptionalInt value = OptionalInt.empty();
        for (String source : new String[] {binaryDefault, environment}) {
            if (source == null) {
                continue;
            }
            for (String field : source.split(",", -1)) {
                int eq = field.indexOf('=');
                if (eq < 0 || !field.substring(0, eq).equals(key)) {
                    continue;
                }
                try {
                    value = OptionalInt.of(Integer.parseInt(field.substring(eq + 1)));
                } catch (NumberFormatException e) {
                    // Go's strconv.ParseInt fails too: the setting is left as it was
                }
            }
        }
        return value;
    }

    /** The value of GODEBUG in a process's initial environment (/proc/PID/environ: NUL-separated), or null. */
    public static String fromEnviron(String environ) {
        String found = null;
        for (String entry : environ.split("\0")) {
            if (entry.startsWith("GODEBUG=")) {
                found = entry.substring("GODEBUG=".length());   // getenv takes the first; Go's too
                break;
            }
        }
        return found;
    }
}
