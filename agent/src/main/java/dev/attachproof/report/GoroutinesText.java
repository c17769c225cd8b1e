package dev.attachproof.report;

import dev.attachproof.golang.Goroutine;
import dev.attachproof.golang.Traceback;
import dev.attachproof.snapshot.GoroutineSnapshot;

/**
 * {@code goroutines --format text}: the shape of Go's own traceback (runtime/traceback.go
 * goroutineheader, traceback2, printcreatedby), so people and tools that read Go tracebacks read
 * it: "goroutine 18 [chan receive, 3 minutes]:", "pkg.fn(...)", a tab, file:line +0xoff, and
 * "created by … in goroutine N". Arguments are not read: a frame with arguments prints "(...)",
 * which Go itself prints for inlined calls. System goroutines are left out, as Go leaves them out
 * unless GOTRACEBACK=system; {@code all} keeps them.
 */
public final class GoroutinesText {
    private GoroutinesText() {}

    public static String write(GoroutineSnapshot s, boolean all) {
        StringBuilder b = new StringBuilder();
        try {
            write(s, all, b);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);   // a StringBuilder does not throw
        }
        return b.toString();
    }

    /**
     * Writes the dump to {@code out} as it goes. Frames repeat across goroutines (a server's
     * 100,000 goroutines park in a few places), so each frame's two lines are formatted once.
     */
    public static void write(GoroutineSnapshot s, boolean all, Appendable out) throws java.io.IOException {
        java.util.IdentityHashMap<Traceback.Frame, String> lines = new java.util.IdentityHashMap<>();
        java.util.IdentityHashMap<Traceback.CreatedBy, String> sites = new java.util.IdentityHashMap<>();
        StringBuilder b = new StringBuilder(512);
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
            header(b, e.g(), s.takenNanos());
            Traceback.Stack st = e.stack();
            for (int i = 0; i < st.frames().size(); i++) {
                if (i == st.elisionAt() && st.elisionLine() != null) {
                    b.append(st.elisionLine()).append('\n');
                }
                b.append(lines.computeIfAbsent(st.frames().get(i), GoroutinesText::frame));
            }
            if (st.elisionLine() != null && st.elisionAt() == st.frames().size()) {
                b.append(st.elisionLine()).append('\n');
            }
            if (st.stopped() != null) {
                b.append('\t').append(st.stopped()).append('\n');
            }
            if (e.createdBy().isPresent()) {
                Traceback.CreatedBy c = e.createdBy().get();
                b.append("created by ").append(c.function());
                if (e.g().parentId() != 0) {
                    b.append(" in goroutine ").append(e.g().parentId());
                }
                b.append(sites.computeIfAbsent(c, GoroutinesText::site));
            }
            out.append(b);
        }
    }

    /** The rest of a "created by" line and the line after: where the go statement is. */
    private static String site(Traceback.CreatedBy c) {
        StringBuilder b = new StringBuilder(96).append("\n\t").append(c.file()).append(':').append(c.line());
        if (c.offset() > 0) {
            b.append(" +0x").append(Long.toHexString(c.offset()));
        }
        return b.append('\n').toString();
    }

    /** A frame's two lines: name(args), then tab, file:line and the +0x offset of a physical frame. */
    private static String frame(Traceback.Frame f) {
        StringBuilder b = new StringBuilder(96);
        b.append(f.function()).append(f.inlined() || f.hasArgs() ? "(...)" : "()").append('\n');
        b.append('\t').append(f.file()).append(':').append(f.line());
        if (!f.inlined() && f.offset() > 0) {
            b.append(" +0x").append(Long.toHexString(f.offset()));
        }
        return b.append('\n').toString();
    }

    /** goroutineheader: status (the wait reason when waiting), minutes waiting, locked to thread. */
    static void header(StringBuilder b, Goroutine g, long nowNanos) {
        b.append("goroutine ").append(g.id()).append(" [").append(status(g));
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
        b.append("]:\n");
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
