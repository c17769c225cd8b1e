package dev.attachproof.snapshot;

import dev.attachproof.report.GoroutinesPprof;
import dev.attachproof.testing.FixtureProcess;
import dev.attachproof.testing.GoFixture;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.GZIPInputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code --format pprof} against Go's own goroutine profile of the same process
 * (pprof.Lookup("goroutine").WriteTo(f, 0), what /debug/pprof/goroutine serves), which the stacks
 * fixture writes on SIGUSR1 when STACKS_PPROF names a file. Ours is taken first, Go's right after;
 * both are parsed here from profile.proto. Every sample of a goroutine that stays parked must be
 * the same: its locations' addresses, each location's functions, files and lines (runtime frames
 * and inlined calls included, cut at the same depth), its labels, its count. Left out, as the
 * text comparison leaves them out: the goroutine that writes Go's profile, the spinning one
 * (running for us, preempted in Go's), and os/signal's loop, which the signal wakes. The mappings
 * must be Go's too: the executable's text with its path and build id, [vdso], [vsyscall].
 */
class GoroutinesPprofTest {

    @ParameterizedTest(name = "{0} stripped={1}")
    @MethodSource("dev.attachproof.testing.GoFixture#toolchainMatrix")
    void sameAsGosOwnGoroutineProfile(String toolchain, boolean stripped) throws Exception {
        Map<String, Long> stacks = compare(GoFixture.build("stacks", toolchain, stripped), toolchain, List.of());
        // Go before 1.23 records 32 frames of a stack (StackRecord.Stack0), later ones 128: the
        // 120-deep recursion (126 frames) is cut short on the first ones only.
        String deepest = deepest(stacks);
        if (toolchain.equals("default")) {
            assertTrue(frames(deepest) > 120 && frames(deepest) < 128 && deepest.strip().lines().toList().getLast().contains(" main.spawn.func1 "), deepest);
        } else {
            assertEquals(32, frames(deepest), deepest);
        }
    }

    /** Go 1.23+ records as many frames as GODEBUG profstackdepth says, read from the target's environment. */
    @org.junit.jupiter.api.Test
    void stackDepthFromTheTargetsGodebug() throws Exception {
        Map<String, Long> stacks = compare(GoFixture.build("stacks", "default", false), "default", List.of("GODEBUG=profstackdepth=20"));
        assertEquals(20, frames(deepest(stacks)), "the recursion cut at 20 frames");
    }

    private static String deepest(Map<String, Long> stacks) {
        return stacks.keySet().stream().max(java.util.Comparator.comparingInt(GoroutinesPprofTest::frames)).orElseThrow();
    }

    /** The frames of a stack keyed as {@link #parked} keys it: each location line is its address and a function and file:line per frame. */
    private static int frames(String key) {
        return key.lines().skip(1).mapToInt(l -> (l.split(" ").length - 1) / 2).sum();
    }

    /** A position-independent executable: its text mapped where the kernel chose, the addresses with it. */
    @org.junit.jupiter.api.Test
    void aPieTargetAsGoWritesIt() throws Exception {
        compare(GoFixture.build("stacks", null, List.of("-buildmode=pie")), "default", List.of());
    }

    /**
     * Built as distributions build (cgo, PIE, the system linker), stripped and not: the C
     * libraries' mappings come into the profile too, as Go writes them.
     */
    @ParameterizedTest(name = "{0} stripped={1}")
    @org.junit.jupiter.params.provider.CsvSource({"debian-go1.19, false", "debian-go1.19, true", "go1.23.0, false",
        "go1.23.0, true", "go1.26.0, false", "go1.26.0, true"})
    void anExternallyLinkedPieAsGoWritesIt(String toolchain, boolean stripped) throws Exception {
        compare(GoFixture.build("stacks", toolchain, stripped, GoFixture.Link.EXTERNAL_PIE, "amd64"), toolchain, List.of());
    }

    /**
     * Starts the fixture (with {@code env}), writes our profile of it and has it write its own,
     * and compares them; returns the parked goroutines' stacks, which are the same in both.
     */
    private static Map<String, Long> compare(Path binary, String toolchain, List<String> env) throws Exception {
        Path gos = Files.createTempFile("go-goroutine", ".pb.gz");
        Path ours = Files.createTempFile("attachproof-goroutine", ".pb.gz");
        List<String> command = new ArrayList<>(List.of("env", "STACKS_PPROF=" + gos));
        command.addAll(env);
        command.add(binary.toString());
        try (FixtureProcess t = FixtureProcess.start(command)) {
            GoroutineSnapshot s = allInPlace(t.pid());
            try (var out = Files.newOutputStream(ours)) {
                GoroutinesPprof.write(s, out);
            }
            new ProcessBuilder("kill", "-USR1", Integer.toString(t.pid())).start().waitFor();
            assertEquals("PPROF WRITTEN", t.nextLine(30), "the fixture wrote its own profile");
            t.assertRunningUntraced();
        }
        Profile go = Profile.read(gos);
        Profile mine = Profile.read(ours);

        assertEquals(go.mappings(), mine.mappings(), "the mappings Go lists, in its order");
        Mapping exe = mine.mappings().getFirst();
        assertEquals(binary.toRealPath().toString(), exe.file());
        assertTrue(exe.hasFunctions(), exe.toString());
        if (toolchain.equals("default")) {
            // Go's linker writes a GNU build id from Go 1.24 on (1.19 and 1.22 binaries have none,
            // and Go's own profile then writes ""): the default go here is 1.26.
            assertFalse(exe.buildId().isEmpty(), exe.toString());
        }

        Map<String, Long> goStacks = parked(go);
        Map<String, Long> ourStacks = parked(mine);
        assertEquals(goStacks, ourStacks);
        assertTrue(goStacks.size() >= 14, "the fixture's parked goroutines: " + goStacks.keySet());
        long inGopark = ourStacks.entrySet().stream().filter(e -> e.getKey().split("\n")[1].matches("0x\\p{XDigit}+ runtime\\.gopark .*"))
                .mapToLong(Map.Entry::getValue).sum();
        assertTrue(inGopark >= 12, "parked goroutines start in runtime.gopark, as Go records them: " + ourStacks.keySet());

        Process p = new ProcessBuilder("go", "tool", "pprof", "-top", ours.toString()).redirectErrorStream(true).start();
        String top = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), top);
        assertFalse(top.contains("Main binary filename not available"), top);
        assertTrue(top.contains("File: " + binary.getFileName()), top);
        assertTrue(top.lines().dropWhile(l -> !l.contains("flat%")).skip(1).findFirst().orElse("").endsWith(" runtime.gopark"),
                "the flat top is where Go's own profile has it:\n" + top);
        Files.delete(gos);
        Files.delete(ours);
        return ourStacks;
    }

    /**
     * A snapshot once every goroutine of the fixture but the spinner waits where it will stay:
     * the SIGUSR2 loop, started just before READY, can still be runnable at its entry when the
     * snapshot is taken, where Go's profile, taken later, finds it parked in its receive.
     */
    private static GoroutineSnapshot allInPlace(int pid) throws Exception {
        for (int attempt = 0; attempt < 100; attempt++) {
            GoroutineSnapshot s = GoroutinesTest.settled(pid);
            // The spinner's stack must show main.spin: a thread caught in a signal handler (the
            // preemption signal) leaves its goroutine's stack to a stale g.sched, which the
            // profile would key as a parked stack of its own.
            boolean spinnerSeen = s.goroutines().stream().anyMatch(GoroutinesPprofTest::spins);
            if (spinnerSeen && s.goroutines().stream().noneMatch(e -> !e.system() && e.g().statusText().equals("runnable")
                    && !spins(e))) {
                return s;
            }
        }
        throw new AssertionError("a goroutine of the fixture was still runnable, or the spinner unseen, in 100 snapshots");
    }

    private static boolean spins(GoroutineSnapshot.Entry e) {
        return e.stack().frames().stream().anyMatch(f -> f.function().equals("main.spin"));
    }

    /**
     * The samples of goroutines that stay parked, keyed by labels and stack (a location a line:
     * address, then function file:line for each line, innermost first), with their counts.
     */
    private static Map<String, Long> parked(Profile p) {
        Map<String, Long> out = new TreeMap<>();
        for (Sample s : p.samples()) {
            StringBuilder key = new StringBuilder();
            boolean changes = false;
            for (long id : s.locations()) {
                Location l = p.locations().get(id);
                key.append(String.format("0x%x", l.address()));
                for (long[] line : l.lines()) {
                    Function f = p.functions().get(line[0]);
                    changes |= f.name().equals("main.writeProfiles") || f.name().equals("main.spin") || f.name().startsWith("os/signal.");
                    key.append(' ').append(f.name()).append(' ').append(f.file()).append(':').append(line[1]);
                }
                key.append('\n');
            }
            if (!changes) {
                out.merge(s.labels() + "\n" + key, s.count(), Long::sum);
            }
        }
        return out;
    }

    record Mapping(long start, long limit, long offset, String file, String buildId, boolean hasFunctions) {}

    record Location(long mappingId, long address, List<long[]> lines) {}

    record Function(String name, String file) {}

    record Sample(List<Long> locations, long count, Map<String, String> labels) {}

    /** The parts of a profile.proto the comparison needs, read with a decoder of its own (not the writer's). */
    record Profile(List<Sample> samples, List<Mapping> mappings, Map<Long, Location> locations, Map<Long, Function> functions) {
        static Profile read(Path file) throws IOException {
            byte[] raw;
            try (InputStream in = new GZIPInputStream(Files.newInputStream(file))) {
                raw = in.readAllBytes();
            }
            List<ByteBuffer> samples = new ArrayList<>();
            List<ByteBuffer> mappings = new ArrayList<>();
            List<ByteBuffer> locations = new ArrayList<>();
            List<ByteBuffer> functions = new ArrayList<>();
            List<String> strings = new ArrayList<>();
            Fields.each(ByteBuffer.wrap(raw), (field, value, bytes) -> {
                switch (field) {
                    case 2 -> samples.add(bytes);
                    case 3 -> mappings.add(bytes);
                    case 4 -> locations.add(bytes);
                    case 5 -> functions.add(bytes);
                    case 6 -> strings.add(StandardCharsets.UTF_8.decode(bytes).toString());
                    default -> { }
                }
            });
            List<Mapping> ms = new ArrayList<>();
            for (ByteBuffer b : mappings) {
                long[] v = new long[8];
                Fields.each(b, (field, value, bytes) -> v[field < 8 ? field : 0] = value);
                ms.add(new Mapping(v[2], v[3], v[4], strings.get((int) v[5]), strings.get((int) v[6]), v[7] != 0));
            }
            Map<Long, Location> ls = new HashMap<>();
            for (ByteBuffer b : locations) {
                long[] v = new long[4];
                List<long[]> lines = new ArrayList<>();
                Fields.each(b, (field, value, bytes) -> {
                    if (field == 4) {
                        long[] line = new long[2];
                        Fields.each(bytes, (f, x, unused) -> {
                            if (f == 1 || f == 2) {
                                line[f - 1] = x;   // function_id, line
                            }
                        });
                        lines.add(line);
                    } else if (field < 4) {
                        v[field] = value;
                    }
                });
                ls.put(v[1], new Location(v[2], v[3], lines));
            }
            Map<Long, Function> fs = new HashMap<>();
            for (ByteBuffer b : functions) {
                long[] v = new long[6];
                Fields.each(b, (field, value, bytes) -> v[field < 6 ? field : 0] = value);
                fs.put(v[1], new Function(strings.get((int) v[2]), strings.get((int) v[4])));
            }
            List<Sample> ss = new ArrayList<>();
            for (ByteBuffer b : samples) {
                List<Long> locs = new ArrayList<>();
                long[] count = new long[1];
                Map<String, String> labels = new TreeMap<>();
                Fields.each(b, (field, value, bytes) -> {
                    if (field == 1) {
                        Fields.packed(bytes, value, locs::add);
                    } else if (field == 2) {
                        Fields.packed(bytes, value, x -> count[0] = x);
                    } else if (field == 3) {
                        long[] kv = new long[2];
                        Fields.each(bytes, (f, x, unused) -> {
                            if (f <= 2) {
                                kv[f - 1] = x;
                            }
                        });
                        labels.put(strings.get((int) kv[0]), strings.get((int) kv[1]));
                    }
                });
                ss.add(new Sample(locs, count[0], labels));
            }
            return new Profile(ss, ms, ls, fs);
        }
    }

    /** Protobuf wire format: varint (0) and length-delimited (2) fields, which is all profile.proto uses. */
    static final class Fields {
        interface Visitor {
            /** {@code bytes} for a length-delimited field (else null), {@code value} for a varint. */
            void field(int number, long value, ByteBuffer bytes);
        }

        static void each(ByteBuffer b, Visitor v) {
            while (b.hasRemaining()) {
                long tag = varint(b);
                int number = (int) (tag >>> 3);
                switch ((int) (tag & 7)) {
                    case 0 -> v.field(number, varint(b), null);
                    case 2 -> {
                        int len = (int) varint(b);
                        ByteBuffer sub = b.slice(b.position(), len);
                        b.position(b.position() + len);
                        v.field(number, 0, sub);
                    }
                    default -> throw new IllegalArgumentException("wire type " + (tag & 7) + " in a profile");
                }
            }
        }

        /** A repeated varint field: packed (bytes) or one value. */
        static void packed(ByteBuffer bytes, long value, java.util.function.LongConsumer each) {
            if (bytes == null) {
                each.accept(value);
                return;
            }
            while (bytes.hasRemaining()) {
                each.accept(varint(bytes));
            }
        }

        static long varint(ByteBuffer b) {
            long v = 0;
            for (int shift = 0; ; shift += 7) {
                byte x = b.get();
                v |= (long) (x & 0x7f) << shift;
                if (x >= 0) {
                    return v;
                }
            }
        }
    }
}
