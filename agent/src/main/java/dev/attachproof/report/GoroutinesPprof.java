package dev.attachproof.report;

import dev.attachproof.golang.Traceback;
import dev.attachproof.snapshot.GoroutineSnapshot;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.GZIPOutputStream;

/**
 * {@code goroutines --format pprof}: a goroutine profile as Go's own runtime/pprof writes one
 * (pprof.Lookup("goroutine").WriteTo(w, 0), what net/http/pprof serves at /debug/pprof/goroutine;
 * profile.proto, gzipped), mirroring runtime/pprof/pprof.go printCountProfile and proto.go:
 * sample type "goroutine"/"count", one sample per distinct stack and label set with the number of
 * goroutines on it, biggest first; the frames Go records (runtime ones included, so a parked
 * goroutine starts at runtime.gopark), cut at the depth the target's Go records; one location per
 * physical frame at the PC Go gives it, holding its inlined calls as lines, innermost first; the
 * target's executable mappings with file name and GNU build id, each location pointing at its own.
 * System goroutines are left out, as Go's goroutine profile leaves them out.
 */
public final class GoroutinesPprof {
    private GoroutinesPprof() {}

    /** A sample's key: its stack (location ids) and its labels, as printCountProfile counts them. */
    private record SampleKey(List<Integer> locations, Map<String, String> labels) {}

    public static void write(GoroutineSnapshot s, OutputStream out) throws IOException {
        Strings strings = new Strings();
        List<GoroutineSnapshot.ExecutableMapping> mappings = s.profile().mappings();
        boolean[] mapped = new boolean[mappings.size()];
        boolean[] unsymbolized = new boolean[mappings.size()];
        Map<Long, Integer> locationIds = new HashMap<>();
        Map<String, Integer> functionIds = new HashMap<>();
        List<byte[]> locations = new ArrayList<>();
        List<byte[]> functions = new ArrayList<>();
        Map<SampleKey, Long> samples = new LinkedHashMap<>();
        for (GoroutineSnapshot.Entry e : s.goroutines()) {
            if (e.system()) {
                continue;
            }
            List<Integer> stack = new ArrayList<>();
            List<Traceback.RecordedFrame> frames = recorded(e.stack().recorded(), s.profile().stackDepth());
            int i = 0;
            while (i < frames.size()) {
                // One location per physical frame: the calls inlined into it (same PC) first,
                // the frame itself last, as profile.proto orders a location's lines (proto.go's pcDeck).
                int end = physicalEnd(frames, i);
                List<Traceback.RecordedFrame> lines = frames.subList(i, end);
                i = end;
                if (lines.getFirst().symbol().equals("runtime.goexit")) {
                    continue;   // proto.go allFrames: "Short-circuit if we see runtime.goexit"
                }
                long pc = lines.getFirst().pc();
                Integer id = locationIds.get(pc);
                if (id == null) {
                    id = locationIds.size() + 1;
                    locationIds.put(pc, id);
                    Proto loc = new Proto().uint(1, id);
                    int m = mappingOf(mappings, pc);
                    if (m >= 0) {
                        // emitLocation: the first mapping holding the address; a mapping has
                        // functions when every location in it was symbolized (allFrames' test).
                        loc.uint(2, m + 1);
                        mapped[m] = true;
                        unsymbolized[m] |= lines.stream().anyMatch(f -> f.file().isEmpty() || f.line() == 0);
                    }
                    loc.uint(3, pc);
                    for (Traceback.RecordedFrame f : lines) {
                        Integer fid = functionIds.get(f.symbol());
                        if (fid == null) {
                            fid = functionIds.size() + 1;
                            functionIds.put(f.symbol(), fid);
                            long name = strings.id(f.symbol());
                            functions.add(new Proto().uint(1, fid).uint(2, name).uint(3, name)
                                    .uint(4, strings.id(f.file())).bytes());
                        }
                        loc.message(4, new Proto().uint(1, fid).uint(2, f.line()));
                    }
                    locations.add(loc.bytes());
                }
                stack.add(id);
            }
            samples.merge(new SampleKey(List.copyOf(stack), new TreeMap<>(e.labels())), 1L, Long::sum);
        }
        Proto p = new Proto();
        p.message(1, new Proto().uint(1, strings.id("goroutine")).uint(2, strings.id("count")));
        // printCountProfile sorts by count, biggest first (keysByCount); stable here, so first seen first.
        List<Map.Entry<SampleKey, Long>> sorted = new ArrayList<>(samples.entrySet());
        sorted.sort((a, b) -> Long.compare(b.getValue(), a.getValue()));
        for (Map.Entry<SampleKey, Long> sample : sorted) {
            Proto sp = new Proto();
            sp.packed(1, sample.getKey().locations().stream().mapToLong(Integer::longValue).toArray());
            sp.packed(2, new long[] {sample.getValue()});
            sample.getKey().labels().forEach((k, v) -> sp.message(3, new Proto().uint(1, strings.id(k)).uint(2, strings.id(v))));
            p.message(2, sp);
        }
        for (int m = 0; m < mappings.size(); m++) {
            GoroutineSnapshot.ExecutableMapping mapping = mappings.get(m);
            Proto mp = new Proto().uint(1, m + 1).uint(2, mapping.start()).uint(3, mapping.limit()).uint(4, mapping.offset())
                    .uint(5, strings.id(mapping.file())).uint(6, strings.id(mapping.buildId()));
            if (mapped[m] && !unsymbolized[m]) {
                mp.uint(7, 1);
            }
            p.message(3, mp);
        }
        locations.forEach(l -> p.raw(4, l));
        functions.forEach(f -> p.raw(5, f));
        long timeNanos = System.currentTimeMillis() * 1_000_000L;
        p.uint(9, timeNanos);
        p.message(11, new Proto().uint(1, strings.id("goroutine")).uint(2, strings.id("count")));
        p.uint(12, 1);
        for (String str : strings.list) {
            p.string(6, str);
        }
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(p.bytes());
        }
    }

    /**
     * The frames Go keeps of a recorded stack: the first {@code depth} (runtime/mprof.go saveg
     * fills a buffer that long), and then the rest of the last physical frame when the cut fell
     * among its inlined calls (runtime/symtab.go expandFinalInlineFrame, which runtime/pprof
     * applies to every stack it writes).
     */
    static List<Traceback.RecordedFrame> recorded(List<Traceback.RecordedFrame> frames, int depth) {
        if (frames.size() <= depth) {
            return frames;
        }
        if (depth == 0) {
            return List.of();
        }
        return frames.subList(0, physicalEnd(frames, depth - 1));
    }

    /** The end (exclusive) of the physical frame starting at {@code i}: its inlined calls, then itself. */
    private static int physicalEnd(List<Traceback.RecordedFrame> frames, int i) {
        int j = i;
        while (j + 1 < frames.size() && frames.get(j).inlined() && frames.get(j + 1).pc() == frames.get(i).pc()) {
            j++;
        }
        return j + 1;
    }

    private static int mappingOf(List<GoroutineSnapshot.ExecutableMapping> mappings, long pc) {
        for (int m = 0; m < mappings.size(); m++) {
            GoroutineSnapshot.ExecutableMapping mapping = mappings.get(m);
            if (Long.compareUnsigned(pc, mapping.start()) >= 0 && Long.compareUnsigned(pc, mapping.limit()) < 0) {
                return m;
            }
        }
        return -1;
    }

    /** profile.proto's string table: index 0 is "". */
    private static final class Strings {
        final List<String> list = new ArrayList<>(List.of(""));
        final Map<String, Long> ids = new HashMap<>(Map.of("", 0L));

        long id(String s) {
            return ids.computeIfAbsent(s, k -> {
                list.add(k);
                return (long) list.size() - 1;
            });
        }
    }

    /** Just enough protobuf: varint, length-delimited and packed fields. */
    static final class Proto {
        private final ByteArrayOutputStream b = new ByteArrayOutputStream();

        Proto uint(int field, long v) {
            varint(field << 3);
            varint(v);
            return this;
        }

        Proto string(int field, String s) {
            return raw(field, s.getBytes(StandardCharsets.UTF_8));
        }

        Proto message(int field, Proto m) {
            return raw(field, m.bytes());
        }

        Proto raw(int field, byte[] bytes) {
            varint(field << 3 | 2);
            varint(bytes.length);
            b.writeBytes(bytes);
            return this;
        }

        Proto packed(int field, long[] values) {
            Proto inner = new Proto();
            for (long v : values) {
                inner.varint(v);
            }
            return raw(field, inner.bytes());
        }

        private void varint(long v) {
            while ((v & ~0x7fL) != 0) {
                b.write((int) ((v & 0x7f) | 0x80));
                v >>>= 7;
            }
            b.write((int) v);
        }

        byte[] bytes() {
            return b.toByteArray();
        }
    }
}
