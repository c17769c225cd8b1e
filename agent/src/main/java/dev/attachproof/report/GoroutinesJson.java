package dev.attachproof.report;

import dev.attachproof.diagnose.ContainerTarget;
import dev.attachproof.golang.Traceback;
import dev.attachproof.snapshot.GoroutineSnapshot;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.AbstractList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.RandomAccess;
import java.util.TreeMap;

/**
 * {@code goroutines --format json}: the {@link GoroutinesDocument}, streamed: each goroutine's
 * record is made when Jackson reaches it and dropped once written, one goroutine per line.
 * Frames repeat across goroutines (a snapshot shares one record per distinct frame), so each
 * frame's record is made once, and its text written once ({@link WrittenOnceSerializer}).
 */
public final class GoroutinesJson {
    /** The document's root is level 1, the goroutines array 2: each goroutine is on a line of its own. */
    private static final int GOROUTINE_LEVEL = 3;

    private GoroutinesJson() {}

    public static String write(GoroutineSnapshot s) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try {
            write(s, null, b);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return b.toString(StandardCharsets.UTF_8);
    }

    /** {@code container}: how a container's id chose the pid (null when a pid was given). */
    public static void write(GoroutineSnapshot s, ContainerTarget container, OutputStream out) throws IOException {
        GoroutinesDocument d = new GoroutinesDocument(GoroutinesDocument.SCHEMA, s.pid(), DoctorJson.Container.of(container),
                s.goVersion(), s.arch(), s.stopped(), s.stoppedMicros() < 0 ? null : s.stoppedMicros(),
                s.layoutSource().startsWith("table") ? "table" : s.layoutSource(), s.layoutSource(), s.listMethod(),
                List.copyOf(s.notes()), new TreeMap<>(s.phaseMicros()), s.stopPhaseMicros(), s.stacksKept() < 0 ? null : s.stacksKept(),
                s.maxStopMicros() < 0 ? null : s.maxStopMicros(), s.readAfterStop(), s.binaryCache(), records(s));
        JsonDocuments.write(d, GOROUTINE_LEVEL, Map.of(WrittenOnceSerializer.TEXTS, new IdentityHashMap<>()), out);
    }

    /** The snapshot's goroutines as records, each made when asked for. */
    static List<GoroutineJson> records(GoroutineSnapshot s) {
        return new Goroutines(s);
    }

    private static final class Goroutines extends AbstractList<GoroutineJson> implements RandomAccess {
        private final GoroutineSnapshot snapshot;
        private final Map<Traceback.Frame, GoroutineJson.Frame> frames = new IdentityHashMap<>();

        Goroutines(GoroutineSnapshot snapshot) {
            this.snapshot = snapshot;
        }

        @Override
        public int size() {
            return snapshot.goroutines().size();
        }

        @Override
        public GoroutineJson get(int index) {
            GoroutineSnapshot.Entry e = snapshot.goroutines().get(index);
            Traceback.CreatedBy site = e.createdBy().orElse(null);
            long parent = e.g().parentId();
            return new GoroutineJson(e.g().id(), e.g().statusText(), e.g().waitReason().isEmpty() ? null : e.g().waitReason(),
                    GoroutinesText.waitMinutes(e.g(), snapshot.takenNanos()), e.system(), e.startFunction(), e.threadId(),
                    e.g().lockedM() != 0, e.readAfterStop(), e.labels(), WaitingOnJson.of(snapshot.waiting().of(e)),
                    new Frames(e.stack().frames(), frames),
                    e.stack().elided(), e.stack().stopped(),
                    site == null ? null : new GoroutineJson.CreatedBy(site.function(), site.file(), site.line(), parent == 0 ? null : parent));
        }
    }

    /** A stack's frames as records, one record per distinct frame of the snapshot. */
    private static final class Frames extends AbstractList<GoroutineJson.Frame> implements RandomAccess {
        private final List<Traceback.Frame> stack;
        private final Map<Traceback.Frame, GoroutineJson.Frame> made;

        Frames(List<Traceback.Frame> stack, Map<Traceback.Frame, GoroutineJson.Frame> made) {
            this.stack = stack;
            this.made = made;
        }

        @Override
        public int size() {
            return stack.size();
        }

        @Override
        public GoroutineJson.Frame get(int index) {
            return made.computeIfAbsent(stack.get(index), f -> new GoroutineJson.Frame(f.function(), f.file(), f.line(),
                    "0x" + Long.toHexString(f.pc()), f.inlined(), f.args() == null ? "..." : f.args()));
        }
    }
}
