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

    /** The dump's own words, encoded once. */
    private static final byte[] GOROUTINE = ascii("goroutine ");
    private static final byte[] BRACKET = ascii(" [");
    private static final byte[] SCAN = ascii(" (scan)");
    private static final byte[] COMMA = ascii(", ");
    private static final byte[] MINUTES = ascii(" minutes");
    private static final byte[] LOCKED = ascii(", locked to thread");
    private static final byte[] HEADER_END = ascii("]:\n");
    private static final byte[] IN_GOROUTINE = ascii(" in goroutine ");

    private static byte[] ascii(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }

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
     * places), so each frame's two lines, each status and each creation site are encoded once;
     * the rest of a goroutine (its id, minutes, parent) is written as bytes in place
     * ({@link DumpBytes}), with no object made per goroutine.
     */
    public static void write(GoroutineSnapshot s, boolean all, boolean terminal, java.io.OutputStream out) throws java.io.IOException {
        java.util.IdentityHashMap<Traceback.Frame, byte[]> lines = new java.util.IdentityHashMap<>();
        java.util.IdentityHashMap<Traceback.CreatedBy, byte[]> sites = new java.util.IdentityHashMap<>();
        java.util.IdentityHashMap<Traceback.CreatedBy, byte[]> creators = new java.util.IdentityHashMap<>();
        java.util.HashMap<String, byte[]> statuses = new java.util.HashMap<>();
        DumpBytes o = new DumpBytes(out);
        boolean first = true;
        for (GoroutineSnapshot.Entry e : s.goroutines()) {
            if (e.system() && !all) {
                continue;
            }
            if (!first) {
                o.ascii('\n');
            }
            first = false;
            header(o, e.g(), s.takenNanos(), s.labelsShown() ? e.labels() : Map.of(), terminal, statuses);
            Traceback.Stack st = e.stack();
            for (int i = 0; i < st.frames().size(); i++) {
                if (i == st.elisionAt() && st.elisionLine() != null) {
                    o.bytes(utf8(st.elisionLine() + "\n"));
                }
                o.bytes(lines.computeIfAbsent(st.frames().get(i), f -> utf8(frame(f, terminal))));
            }
            if (st.elisionLine() != null && st.elisionAt() == st.frames().size()) {
                o.bytes(utf8(st.elisionLine() + "\n"));
            }
            if (st.stopped() != null) {
                o.bytes(utf8("\t" + shown(st.stopped(), terminal) + "\n"));
            }
            if (e.createdBy().isPresent()) {
                Traceback.CreatedBy c = e.createdBy().get();
                o.bytes(creators.computeIfAbsent(c, x -> utf8("created by " + shown(x.function(), terminal))));
                if (e.g().parentId() != 0) {
                    o.bytes(IN_GOROUTINE);
                    o.decimal(e.g().parentId());
                }
                o.bytes(sites.computeIfAbsent(c, x -> utf8(site(x, terminal))));
            }
        }
        o.flush();
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
     * as pprof keeps them, quoted as the runtime quotes (print.go, printquoted). {@code statuses}:
     * the bracket's words as bytes, by the words.
     */
    private static void header(DumpBytes o, Goroutine g, long nowNanos, Map<String, String> labels, boolean terminal,
                               Map<String, byte[]> statuses) throws java.io.IOException {
        o.bytes(GOROUTINE);
        o.decimal(g.id());
        o.bytes(BRACKET);
        o.bytes(statuses.computeIfAbsent(status(g), w -> utf8(shown(w, terminal))));
        if ((g.status() & Goroutine.SCAN_BIT) != 0) {
            o.bytes(SCAN);
        }
        long minutes = waitMinutes(g, nowNanos);
        if (minutes >= 1) {
            o.bytes(COMMA);
            o.decimal(minutes);
            o.bytes(MINUTES);
        }
        if (g.lockedM() != 0) {
            o.bytes(LOCKED);
        }
        if (!labels.isEmpty()) {
            StringBuilder b = new StringBuilder(" labels:{");
            String sep = "";
            for (Map.Entry<String, String> l : new java.util.TreeMap<>(labels).entrySet()) {
                b.append(sep);
                quoted(b, l.getKey());
                b.append(": ");
                quoted(b, l.getValue());
                sep = ", ";
            }
            o.bytes(utf8(b.append('}').toString()));
        }
        o.bytes(HEADER_END);
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
