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
import java.util.zip.GZIPOutputStream;

/**
 * {@code goroutines --format pprof}: a goroutine profile as Go's runtime/pprof writes one
 * (profile.proto, gzipped): sample type "goroutine"/"count", one sample per distinct stack with
 * the number of goroutines on it, one location per physical frame holding its inlined calls as
 * lines, innermost first. What `go tool pprof` opens. System goroutines are left out, as Go's
 * goroutine profile leaves them out.
 */
public final class GoroutinesPprof {
    private GoroutinesPprof() {}

    public static void write(GoroutineSnapshot s, OutputStream out) throws IOException {
        Strings strings = new Strings();
        Map<Long, Integer> locationIds = new HashMap<>();
        Map<String, Integer> functionIds = new LinkedHashMap<>();
        List<byte[]> locations = new ArrayList<>();
        List<byte[]> functions = new ArrayList<>();
        Map<List<Integer>, Long> samples = new LinkedHashMap<>();
        for (GoroutineSnapshot.Entry e : s.goroutines()) {
            if (e.system()) {
                continue;
            }
            List<Integer> stack = new ArrayList<>();
            List<Traceback.Frame> frames = e.stack().frames();
            int i = 0;
            while (i < frames.size()) {
                // One location per physical frame: the calls inlined into it (same PC) first,
                // the frame itself last, as profile.proto orders a location's lines.
                int j = i;
                while (j + 1 < frames.size() && frames.get(j).inlined() && frames.get(j + 1).pc() == frames.get(i).pc()) {
                    j++;
                }
                int end = j + 1;
                long pc = frames.get(i).pc();
                Integer id = locationIds.get(pc);
                if (id == null) {
                    id = locationIds.size() + 1;
                    locationIds.put(pc, id);
                    Proto loc = new Proto().uint(1, id).uint(3, pc);
                    for (Traceback.Frame f : frames.subList(i, end)) {
                        String key = f.function() + "\u0000" + f.file();
                        Integer fid = functionIds.get(key);
                        if (fid == null) {
                            fid = functionIds.size() + 1;
                            functionIds.put(key, fid);
                            long name = strings.id(f.function());
                            functions.add(new Proto().uint(1, fid).uint(2, name).uint(3, name)
                                    .uint(4, strings.id(f.file())).bytes());
                        }
                        loc.message(4, new Proto().uint(1, fid).uint(2, f.line()));
                    }
                    locations.add(loc.bytes());
                }
                stack.add(id);
                i = end;
            }
            samples.merge(List.copyOf(stack), 1L, Long::sum);
        }
        Proto p = new Proto();
        p.message(1, new Proto().uint(1, strings.id("goroutine")).uint(2, strings.id("count")));
        for (Map.Entry<List<Integer>, Long> sample : samples.entrySet()) {
            Proto sp = new Proto();
            sp.packed(1, sample.getKey().stream().mapToLong(Integer::longValue).toArray());
            sp.packed(2, new long[] {sample.getValue()});
            p.message(2, sp);
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
