package dev.attachproof.snapshot;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.attachproof.golang.LayoutGenerator;
import dev.attachproof.linux.Linux;
import dev.attachproof.procfs.ProcFs;
import dev.attachproof.ptrace.StopPhases;
import dev.attachproof.ptrace.Tracer;
import dev.attachproof.report.GoroutinesText;
import dev.attachproof.testing.AgentCli;
import dev.attachproof.testing.FixtureProcess;
import dev.attachproof.testing.GosOwnDump;
import dev.attachproof.testing.GoFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The goroutine headers, ids, threads, counts and timings against the {@code waiting} fixture,
 * whose goroutines wait for minutes on the target's own clock, on every release the layout table
 * is made from. One fixture per release is started before anything else, so that while they age
 * past a minute the other tests run (through the CLI, each release: about as long as the minute);
 * the minutes test runs last and compares the "N minutes" of our headers with Go's own dump taken
 * right after ours.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WaitingGoroutinesTest {
    private static final Pattern HEADER = Pattern.compile("^goroutine (\\d+) \\[([^\\]]*)\\]:$");
    private static final Pattern MINUTES = Pattern.compile(", (\\d+) minutes");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<String, FixtureProcess> fixtures = new LinkedHashMap<>();
    private final Map<String, Long> startedNanos = new LinkedHashMap<>();
    /** One more fixture of the newest release that nothing stops before the last test. */
    private FixtureProcess untouched;
    private long untouchedStarted;

    /** Every release started now, each as soon as it is built: the oldest ages while the rest build. */
    @BeforeAll
    void startEveryRelease() {
        for (String toolchain : LayoutGenerator.TOOLCHAINS) {
            if (GoFixture.available(toolchain)) {
                Path binary = GoFixture.build("waiting", toolchain, false);
                fixtures.put(toolchain, FixtureProcess.start(binary));
                startedNanos.put(toolchain, System.nanoTime());
            }
        }
        untouched = FixtureProcess.start(GoFixture.build("waiting", LayoutGenerator.TOOLCHAINS.getLast(), false));
        untouchedStarted = System.nanoTime();
    }

    @AfterAll
    void stopThem() {
        fixtures.values().forEach(FixtureProcess::close);
        if (untouched != null) {
            untouched.close();
        }
    }

    static List<String> releases() {
        return LayoutGenerator.TOOLCHAINS;
    }

    private FixtureProcess fixture(String toolchain) {
        FixtureProcess t = fixtures.get(toolchain);
        assumeTrue(t != null, toolchain + " is not installed");
        return t;
    }

    /**
     * The fixture's three main.receive goroutines are started between three main.lock ones: their
     * ids are not a run, and --group lists them one by one (it printed "ids 18..22" for 18, 20
     * and 22 of the Go 1.19 build, which reads as five goroutines).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("releases")
    @Order(1)
    void groupListsTheIdsItHolds(String toolchain) {
        String pid = Integer.toString(fixture(toolchain).pid());
        AgentCli.Result grouped = AgentCli.run("goroutines", pid, "--group");
        assertEquals(0, grouped.exit(), grouped.stderr());
        AgentCli.Result plain = AgentCli.run("goroutines", pid);
        Set<Long> receivers = new TreeSet<>();
        GosOwnDump.blocks(plain.stdout()).forEach((id, block) -> {
            if (block.contains("\nmain.receive(")) {
                receivers.add(Long.parseLong(id));
            }
        });
        assertEquals(3, receivers.size(), plain.stdout());
        assertFalse(receivers.stream().mapToLong(Long::longValue).max().getAsLong()
                - receivers.stream().mapToLong(Long::longValue).min().getAsLong() == 2, "the fixture's ids are not a run");
        List<String> lines = grouped.stdout().lines().toList();
        int at = lines.indexOf("main.receive()");
        assertTrue(at > 1, grouped.stdout());
        // Every member waits on the fixture's one channel: the group names it, between the header and the frames.
        assertTrue(lines.get(at - 1).matches("waiting on chan 0x[0-9a-f]+ \\(chan struct \\{\\}, unbuffered, open\\) receive"),
                lines.get(at - 1));
        String header = lines.get(at - 2);
        Matcher m = Pattern.compile("^3 goroutines \\[chan receive(, \\d+ minutes)?\\], ids (.*):$").matcher(header);
        assertTrue(m.matches(), header);
        assertEquals(receivers, expand(m.group(2)), header);
    }

    /** "15, 17..20 and 3 more" as the ids it names (the "more" are not named: none expected here). */
    private static Set<Long> expand(String ids) {
        assertFalse(ids.contains(" more"), ids);
        Set<Long> out = new TreeSet<>();
        for (String part : ids.split(", ")) {
            String[] range = part.split("\\.\\.");
            long from = Long.parseLong(range[0]);
            long to = range.length == 2 ? Long.parseLong(range[1]) : from;
            for (long id = from; id <= to; id++) {
                out.add(id);
            }
        }
        return out;
    }

    /**
     * A goroutine in a syscall holds its thread (g.m): the JSON names it. The fixture's raw read
     * of a pipe: that thread must be the one blocked in read(2) on a pipe.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("releases")
    @Order(2)
    void aGoroutineInASyscallNamesItsThread(String toolchain) throws Exception {
        FixtureProcess t = fixture(toolchain);
        AgentCli.Result r = AgentCli.run("goroutines", Integer.toString(t.pid()), "--format", "json");
        assertEquals(0, r.exit(), r.stderr());
        JsonNode reader = null;
        for (JsonNode g : JSON.readTree(r.stdout()).get("goroutines")) {
            if (g.get("status").asText().equals("syscall") && g.get("frames").toString().contains("\"syscall.Read\"")) {
                reader = g;
            }
        }
        assertNotNull(reader, r.stdout());
        assertTrue(reader.get("threadId").isInt(), "threadId of a goroutine in a syscall: " + reader);
        int tid = reader.get("threadId").asInt();
        // /proc/PID/task/TID/syscall: the number (0 is read on amd64) and the arguments, the fd first.
        String[] syscall = Files.readString(Path.of("/proc/" + t.pid() + "/task/" + tid + "/syscall")).strip().split(" ");
        assertEquals("0", syscall[0], "thread " + tid + " is in read(2): " + String.join(" ", syscall));
        long fd = Long.decode(syscall[1]);
        assertTrue(Files.readSymbolicLink(Path.of("/proc/" + t.pid() + "/fd/" + fd)).toString().startsWith("pipe:"),
                "reading a pipe");
        t.assertRunningUntraced();
    }

    /**
     * Without --system, Go's dump and ours leave the system goroutines out: stderr says how many
     * were printed and how many there are.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("releases")
    @Order(3)
    void stderrCountsTheShownAndTheHidden(String toolchain) {
        String pid = Integer.toString(fixture(toolchain).pid());
        AgentCli.Result r = AgentCli.run("goroutines", pid);
        assertEquals(0, r.exit(), r.stderr());
        long printed = r.stdout().lines().filter(l -> HEADER.matcher(l).matches()).count();
        Matcher m = Pattern.compile("attachproof: (\\d+) goroutines shown of (\\d+) \\((\\d+) system goroutines hidden; "
                + "--system shows them\\); target stopped").matcher(r.stderr());
        assertTrue(m.find(), r.stderr());
        assertEquals(printed, Long.parseLong(m.group(1)), r.stderr());
        long hidden = Long.parseLong(m.group(3));
        assertTrue(hidden > 0, "a Go program has system goroutines (forcegc, bgsweep, the finalizer...)");
        assertEquals(Long.parseLong(m.group(2)), printed + hidden, r.stderr());

        AgentCli.Result all = AgentCli.run("goroutines", pid, "--system");
        long printedAll = all.stdout().lines().filter(l -> HEADER.matcher(l).matches()).count();
        assertTrue(all.stderr().startsWith("attachproof: " + printedAll + " goroutines; target stopped"), all.stderr());
    }

    /**
     * Every microsecond of the stop belongs to a named phase: interrupting and waiting for each
     * thread, copying the goroutines, the registers, the stacks, detaching. In JSON and in
     * --timing's line, they add up to the time stopped.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("releases")
    @Order(4)
    void theStopPhasesAddUpToTheStop(String toolchain) throws Exception {
        String pid = Integer.toString(fixture(toolchain).pid());
        AgentCli.Result r = AgentCli.run("goroutines", pid, "--format", "json", "--timing");
        assertEquals(0, r.exit(), r.stderr());
        JsonNode root = JSON.readTree(r.stdout());
        JsonNode phases = root.get("stopPhaseMicros");
        assertNotNull(phases, "stopPhaseMicros: " + r.stdout().lines().limit(14).toList());
        List<String> names = new ArrayList<>();
        long sum = 0;
        for (var e : phases.properties()) {
            names.add(e.getKey());
            sum += e.getValue().asLong();
        }
        // No labels in this fixture: the labels phase never starts. JSON shows what goroutines wait on: read while stopped.
        assertEquals(List.of("interrupt", "wait", "goroutines", "registers", "stacks", "waits", "detach"), names);
        assertTrue(StopPhases.SNAPSHOT.containsAll(names));
        assertEquals(root.get("stoppedMicros").asLong(), sum, phases.toString());

        Matcher line = Pattern.compile("; stopped ([0-9.]+) = (.*?);").matcher(r.stderr());
        assertTrue(line.find(), r.stderr());
        double shown = 0;
        for (String part : line.group(2).split(" \\+ ")) {
            shown += Double.parseDouble(part.substring(part.lastIndexOf(' ') + 1));
        }
        // Each phase is printed to 0.1 ms: the printed sum is within 0.05 ms a phase of the stop.
        assertEquals(Double.parseDouble(line.group(1)), shown, 0.05 * names.size() + 1e-9, r.stderr());
    }

    /**
     * The minutes of each header, as Go computes them (runtime/traceback.go goroutineheader: for
     * a waiting or syscall goroutine whose waitsince is set, (nanotime() - waitsince) / 60e9),
     * against Go's own dump taken right after ours, once the fixture's goroutines have waited
     * more than a minute on the target's clock. Run last: the fixtures aged meanwhile.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("releases")
    @Order(5)
    void minutesAreGosMinutes(String toolchain) throws Exception {
        FixtureProcess t = fixture(toolchain);
        GoroutineSnapshot s = waitedAMinute(t.pid(), startedNanos.get(toolchain));
        Map<String, String> ours = GosOwnDump.blocks(GoroutinesText.write(s, false));
        Map<String, String> theirs = gosOwnDump(t);
        long after = System.nanoTime();   // Go's dump was made between our read and now
        Map<Long, Long> waitSince = new LinkedHashMap<>();
        s.goroutines().forEach(e -> waitSince.put(e.g().id(), e.g().waitSince()));

        int withMinutes = 0;
        for (Map.Entry<String, String> e : theirs.entrySet()) {
            String go = e.getValue();
            String mine = ours.get(e.getKey());
            assertNotNull(mine, "goroutine " + e.getKey() + " is in Go's dump, not ours");
            if (go.contains("\nmain.collect(")) {
                // Woken every second (execute clears waitsince): never minutes, in either dump.
                assertFalse(MINUTES.matcher(go).find() || MINUTES.matcher(mine).find(), go + "\n" + mine);
                continue;
            }
            if (go.contains(" [running]:") || go.contains(" [runnable]:") || go.contains("os/signal.")
                    || go.contains("\nmain.pollForever(")) {
                continue;   // the dumper, os/signal's loop that our SIGUSR2 woke, the epoll_wait our stop ended
            }
            long goMinutes = minutes(go);
            long ourMinutes = minutes(mine);
            long since = waitSince.get(Long.parseLong(e.getKey()));
            // Go's nanotime() ran after our read and before `after`: a minute may have ended between.
            long latest = since == 0 ? 0 : (after - since) / 60_000_000_000L;
            assertTrue(goMinutes == ourMinutes || (goMinutes == ourMinutes + 1 && latest > ourMinutes),
                    "goroutine " + e.getKey() + ": ours\n" + mine + "\nGo's\n" + go);
            assertEquals(go.replaceFirst(MINUTES.pattern(), ""), mine.replaceFirst(MINUTES.pattern(), ""));
            withMinutes += goMinutes >= 1 ? 1 : 0;
        }
        // main's read of stdin, the pipe read, three receivers, three lockers.
        assertTrue(withMinutes >= 8, withMinutes + " goroutines with minutes in Go's dump:\n" + theirs.values());
        t.assertRunningUntraced();
    }

    /**
     * What README says a stop costs: the fixture's epoll_wait, blocked for over a minute, returns
     * EINTR when a stop ends (signal(7): epoll_wait is not restarted after a stop), and
     * exitsyscall clears its waitsince, so Go's own dump after our stop no longer shows its
     * minutes; the pipe read beside it is restarted by the kernel and keeps them. On a fixture
     * nothing stopped before: Go's dumps (SIGUSR2, which the main thread takes) are polled until
     * both show a minute.
     */
    @Test
    @Order(6)
    void aStopEndsAnEpollWaitAndItsMinutes() throws Exception {
        long ripe = untouchedStarted + TimeUnit.SECONDS.toNanos(61) - System.nanoTime();
        if (ripe > 0) {
            LockSupport.parkNanos(ripe);   // nothing can show a minute before then
        }
        long deadline = untouchedStarted + TimeUnit.SECONDS.toNanos(210);
        Map<String, String> before = gosOwnDump(untouched);
        while (minutes(block(before, "main.pollForever")) < 1 || minutes(block(before, "main.readPipe")) < 1) {
            if (System.nanoTime() > deadline) {
                fail("no minute in Go's dump by the deadline:\n" + before.values());
            }
            LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(1));
            before = gosOwnDump(untouched);
        }
        GoroutineSnapshot s = GoroutineSnapshot.take(untouched.pid(), false, Tracer.shared(), ProcFs.live(), Linux.system());
        Map<String, String> ours = GosOwnDump.blocks(GoroutinesText.write(s, false));
        assertTrue(minutes(block(ours, "main.pollForever")) >= 1, "read while stopped, it had waited: " + ours.values());
        Map<String, String> after = gosOwnDump(untouched);
        assertEquals(0, minutes(block(after, "main.pollForever")), block(after, "main.pollForever"));
        assertTrue(minutes(block(after, "main.readPipe")) >= 1, block(after, "main.readPipe"));
        untouched.assertRunningUntraced();
    }

    /** The one goroutine of {@code blocks} whose stack holds {@code function}. */
    private static String block(Map<String, String> blocks, String function) {
        List<String> found = blocks.values().stream().filter(b -> b.contains("\n" + function + "(")).toList();
        assertEquals(1, found.size(), function + " in " + blocks.values());
        return found.getFirst();
    }

    /** Has the fixture print its own runtime.Stack(all) (SIGUSR2) and returns it split per goroutine. */
    private static Map<String, String> gosOwnDump(FixtureProcess t) throws Exception {
        new ProcessBuilder("kill", "-USR2", Integer.toString(t.pid())).start().waitFor();
        StringBuilder dump = new StringBuilder();
        for (String line = t.nextLine(30); !"STACKS END".equals(line); line = t.nextLine(30)) {
            assertNotNull(line, "the fixture printed no dump");
            dump.append(line.equals("STACKS BEGIN") ? "" : line + "\n");
        }
        return GosOwnDump.blocks(dump.toString());
    }

    private static long minutes(String block) {
        Matcher m = MINUTES.matcher(block.lines().findFirst().orElse(""));
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    /**
     * Our reading of the fixture once each parked goroutine of main has waited a minute on the
     * target's clock: read, and until then park for as long as the reading says is left (the
     * target's own waitsince against its clock, CLOCK_MONOTONIC, which System.nanoTime reads).
     * The deadline: the runtime's forced GC (every two minutes, runtime/proc.go forcegcperiod)
     * would stamp a goroutine the fixture's GCs missed, so three and a half minutes from start.
     */
    private static GoroutineSnapshot waitedAMinute(int pid, long startedNanos) throws Exception {
        long deadline = startedNanos + TimeUnit.SECONDS.toNanos(210);
        while (true) {
            GoroutineSnapshot s = GoroutineSnapshot.take(pid, false, Tracer.shared(), ProcFs.live(), Linux.system());
            long left = 0;
            for (GoroutineSnapshot.Entry e : s.goroutines()) {
                boolean parked = e.stack().frames().stream().anyMatch(f -> f.function().equals("main.receive")
                        || f.function().equals("main.lock") || f.function().equals("main.readPipe"));
                if (parked) {
                    long since = e.g().waitSince();
                    left = Math.max(left, since == 0 ? TimeUnit.SECONDS.toNanos(1) : since + 60_000_000_000L - s.takenNanos());
                }
            }
            if (left <= 0) {
                return s;
            }
            if (System.nanoTime() + left > deadline) {
                fail("the fixture's goroutines did not wait a minute by the deadline: " + left / 1_000_000 + " ms left");
            }
            LockSupport.parkNanos(left + TimeUnit.MILLISECONDS.toNanos(50));
        }
    }
}
