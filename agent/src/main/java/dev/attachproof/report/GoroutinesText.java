package dev.attachproof.report;

import dev.attachproof.golang.Goroutine;
import dev.attachproof.golang.Traceback;
import dev.attachproof.snapshot.GoroutineSnapshot;

import java.util.Map;

/**
 * {@code goroutines --format text}: the shape of Go's own traceback (runtime/traceback.go
 * goroutineheader, traceback2, printcreatedby), so people and tools that read Go tracebacks read
 * it: "goroutine 18 [chan receive, 3 minutes]:", "pkg.fn(...)", a tab, file:line +0xoff, and
 * "created by … in goroutine N". A physical frame prints its argument words as Go's printArgs
 * does ("main.parked(0xc000080120, 0x0?)", {@link Traceback.Frame#args}), an inlined one "(...)".
 * System goroutines are left out, as Go leaves them out unless GOTRACEBACK=system; {@code all}
 * keeps them.
 *
 * <p>The names in it are the target's: function names, source paths (a directory may be named
 * with escape sequences, and Go prints it as it is) and wait-reason words read from the binary.
 * Written for a terminal ({@code terminal}), they pass through {@link Style#escape}; written to a
 * file or a pipe, or served, the dump is Go's own bytes, which is what tools that parse Go
 * tracebacks expect.
 */
public final class GoroutinesText {
    private GoroutinesText() {}

    public static String write(GoroutineSnapshot s, boolean all) {
        return write(s, all, false);
    }

    /** The dump as a string; {@code terminal}: the target's names escaped for a terminal. */
    public static String write(GoroutineSnapshot s, boolean all, boolean terminal) {
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        try {
            write(s, all, terminal, b);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);   // a StringBuilder does not throw
        }
        return b.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    /** Go's own bytes, for a file, a pipe or an HTTP answer. */
    public static void write(GoroutineSnapshot s, boolean all, java.io.OutputStream out) throws java.io.IOException {
        write(s, all, false, out);
    }

    /**
     * Writes the dump to {@code out} as UTF-8 as it goes; {@code terminal}: the target's names
     * escaped. Frames repeat across goroutines (a server's 100,000 goroutines park in a few
     * places), so each frame's two lines are formatted once.
     */
    public static void write(GoroutineSnapshot s, boolean all, boolean terminal, java.io.OutputStream out) throws java.io.IOException {
        java.util.IdentityHashMap<Traceback.Frame, byte[]> lines = new java.util.IdentityHashMap<>();
        java.util.IdentityHashMap<Traceback.CreatedBy, byte[]> sites = new java.util.IdentityHashMap<>();
        java.util.HashMap<String, byte[]> words = new java.util.HashMap<>();
        StringBuilder b = new StringBuilder(128);
        boolean first = true;
        for (GoroutineSnapshot.Entry e : s.goroutines()) {
            if (e.system() && !all) {
                continue;
            }
            b.setLength(0);
            if (!first) {
                b.append('\n');
            }
            first = false;
            header(b, e.g(), s.takenNanos(), s.labelsShown() ? e.labels() : Map.of(), terminal);
            out.write(utf8(b.toString()));
            Traceback.Stack st = e.stack();
            for (int i = 0; i < st.frames().size(); i++) {
                if (i == st.elisionAt() && st.elisionLine() != null) {
                    out.write(utf8(st.elisionLine() + "\n"));
                }
                out.write(lines.computeIfAbsent(st.frames().get(i), f -> utf8(frame(f, terminal))));
            }
            if (st.elisionLine() != null && st.elisionAt() == st.frames().size()) {
                out.write(utf8(st.elisionLine() + "\n"));
            }
            if (st.stopped() != null) {
                out.write(utf8("\t" + shown(st.stopped(), terminal) + "\n"));
            }
            if (e.createdBy().isPresent()) {
                Traceback.CreatedBy c = e.createdBy().get();
                out.write(words.computeIfAbsent(c.function(), f -> utf8("created by " + shown(f, terminal))));
                if (e.g().parentId() != 0) {
                    b.setLength(0);
                    out.write(utf8(b.append(" in goroutine ").append(e.g().parentId()).toString()));
                }
                out.write(sites.computeIfAbsent(c, x -> utf8(site(x, terminal))));
            }
        }
    }

    /** {@code s}, a name the target chose, as a terminal should get it, or as it is. */
    static String shown(String s, boolean terminal) {
        return terminal ? Style.escape(s) : s;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }


    /** The rest of a "created by" line and the line after: where the go statement is. */
    static String site(Traceback.CreatedBy c, boolean terminal) {
        StringBuilder b = new StringBuilder(96).append("\n\t").append(shown(c.file(), terminal)).append(':').append(c.line());
        if (c.offset() > 0) {
            b.append(" +0x").append(Long.toHexString(c.offset()));
        }
        return b.append('\n').toString();
    }

    /** A frame's two lines: name(args), then tab, file:line and the +0x offset of a physical frame. */
    static String frame(Traceback.Frame f, boolean terminal) {
        StringBuilder b = new StringBuilder(96);
        b.append(shown(f.function(), terminal)).append('(').append(f.args() == null ? "..." : f.args()).append(")\n");
        b.append('\t').append(shown(f.file(), terminal)).append(':').append(f.line());
        if (!f.inlined() && f.offset() > 0) {
            b.append(" +0x").append(Long.toHexString(f.offset()));
        }
        return b.append('\n').toString();
    }

    /**
     * goroutineheader: status (the wait reason when waiting), minutes waiting, locked to thread,
     * and {@code labels} when there are any (Go 1.26's GODEBUG tracebacklabels=1), sorted by key
     * as pprof keeps them, quoted as the runtime quotes (print.go, printquoted).
     */
    static void header(StringBuilder b, Goroutine g, long nowNanos, Map<String, String> labels, boolean terminal) {
        b.append("goroutine ").append(g.id()).append(" [").append(shown(status(g), terminal));
        if ((g.status() & Goroutine.SCAN_BIT) != 0) {
            b.append(" (scan)");
        }
        long minutes = waitMinutes(g, nowNanos);
        if (minutes >= 1) {
            b.append(", ").append(minutes).append(" minutes");
        }
        if (g.lockedM() != 0) {
            b.append(", locked to thread");
        }
        if (!labels.isEmpty()) {
            b.append(" labels:{");
            String sep = "";
            for (Map.Entry<String, String> l : new java.util.TreeMap<>(labels).entrySet()) {
                b.append(sep);
                quoted(b, l.getKey());
                b.append(": ");
                quoted(b, l.getValue());
                sep = ", ";
            }
            b.append('}');
        }
        b.append("]:\n");
    }

    /** The runtime's printquoted: printable ASCII as is; newline, CR, tab, backslash and quote escaped; others as x, u or U escapes of 2, 4 or 8 hex digits. */
    static void quoted(StringBuilder b, String s) {
        b.append('"');
        s.codePoints().forEach(r -> {
            switch (r) {
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case '\\', '"' -> b.append('\\').appendCodePoint(r);
                default -> {
                    if (r >= ' ' && r <= '~') {
                        b.appendCodePoint(r);
                    } else if (r < 127) {
                        b.append("\\x").append(String.format("%02x", r));
                    } else if (r < 0x1_0000) {
                        b.append("\\u").append(String.format("%04x", r));
                    } else {
                        b.append("\\U").append(String.format("%08x", r));
                    }
                }
            }
        });
        b.append('"');
    }

    /** The words Go prints in the brackets: the wait reason of a waiting goroutine, else its status. */
    public static String status(Goroutine g) {
        return g.waitReason().isEmpty() ? g.statusText() : g.waitReason();
    }

    /** Minutes waiting (or in a syscall), as Go computes them from waitsince. */
    public static long waitMinutes(Goroutine g, long nowNanos) {
        int st = g.baseStatus();
        if ((st == Goroutine.G_WAITING || st == Goroutine.G_SYSCALL) && g.waitSince() != 0) {
            return (nowNanos - g.waitSince()) / 60_000_000_000L;
        }
        return 0;
    }
}
