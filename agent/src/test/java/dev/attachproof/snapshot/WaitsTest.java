package dev.attachproof.snapshot;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.attachproof.golang.LayoutGenerator;
import dev.attachproof.testing.AgentCli;
import dev.attachproof.testing.FixtureProcess;
import dev.attachproof.testing.GoFixture;
import dev.attachproof.testing.Schemas;
import dev.attachproof.testing.WaitsTruth;
import dev.attachproof.testing.WaitsTruth.Truth;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What each blocked goroutine waits on, against the truth the waits fixture prints: the address
 * of every channel, mutex, RWMutex, WaitGroup and Cond it parks goroutines on, and how many. For
 * every release the layout table is made from, stripped and not: each goroutine's waitingOn
 * (JSON, valid against the schema) names its object, and --waits counts each object's goroutines.
 */
class WaitsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Every release, stripped and not; and not stripped after two collections (-gcs 2), when every
     * parked goroutine carries a waitsince, stands at the stop, and keeps what the read before
     * the stop found it waits on (WaitReader#read): the other runs read it again while stopped.
     */
    static Stream<Arguments> everyRelease() {
        return LayoutGenerator.TOOLCHAINS.stream().flatMap(t -> Stream.of(Arguments.of(t, false, 0), Arguments.of(t, true, 0),
                Arguments.of(t, false, 2)));
    }

    @ParameterizedTest(name = "{0} stripped={1} gcs={2}")
    @MethodSource("everyRelease")
    void everyBlockedGoroutineNamesItsObject(String toolchain, boolean stripped, int gcs) throws Exception {
        Path objects = Files.createTempFile("waits-objects", ".txt");
        try (FixtureProcess t = FixtureProcess.start(GoFixture.build("waits", toolchain, stripped), "-objects", objects.toString(),
                "-gcs", Integer.toString(gcs))) {
            List<Truth> truth = WaitsTruth.parse(Files.readAllLines(objects));
            AgentCli.Result r = AgentCli.run("goroutines", Integer.toString(t.pid()), "--format", "json", "--timing");
            assertEquals(0, r.exit(), r.stderr());
            if (gcs >= 2) {
                WaitsTruth.assertEveryWaiterKept(truth, r.stderr());
            }
            Schemas.assertValid(r.stdout());
            WaitsTruth.assertNamesEveryObject(truth, JSON.readTree(r.stdout()));

            // --waits: each object once, with its goroutines counted (the RWMutex's three kinds of waiters together)
            AgentCli.Result w = AgentCli.run("goroutines", Integer.toString(t.pid()), "--waits");
            assertEquals(0, w.exit(), w.stderr());
            Map<String, Integer> expected = new LinkedHashMap<>();
            Map<String, int[]> ops = new LinkedHashMap<>();
            for (Truth o : truth) {
                expected.merge(o.kind() + " " + o.address(), o.goroutines(), Integer::sum);
                ops.put(o.kind() + " " + o.address(), o.op() == null ? null
                        : o.op().equals("receive") ? new int[] {o.goroutines(), 0} : new int[] {0, o.goroutines()});
            }
            List<String> lines = w.stdout().lines().toList();
            assertEquals(expected.size(), lines.size(), w.stdout());
            for (Map.Entry<String, Integer> e : expected.entrySet()) {
                String line = lines.stream().filter(l -> l.startsWith(e.getKey() + ":") || l.startsWith(e.getKey() + " ("))
                        .findFirst().orElseThrow(() -> new AssertionError(e.getKey() + " missing from --waits:\n" + w.stdout()));
                int[] op = ops.get(e.getKey());
                String count = op == null ? ": " + e.getValue() + " goroutine"
                        : ": " + op[0] + " goroutine" + (op[0] == 1 ? "" : "s") + " receive, " + op[1] + " send";
                assertTrue(line.contains(count), line + " should say " + count);
            }
            t.assertRunningUntraced();
        } finally {
            Files.deleteIfExists(objects);
        }
    }

    /**
     * Every goroutine of the fixture parked, main on a time.After: the runtime's checkdead holds
     * off because a timer is armed, so --waits must not say "all goroutines are asleep" (it did,
     * when only wait reasons were looked at).
     */
    @Test
    void aGoroutineWaitingOnATimersChannelWithholdsTheDeadlockVerdict() throws Exception {
        Path objects = Files.createTempFile("waits", ".txt");
        try (FixtureProcess t = FixtureProcess.start(GoFixture.build("waits"), "-objects", objects.toString(), "-timer")) {
            AgentCli.Result w = AgentCli.run("goroutines", Integer.toString(t.pid()), "--waits");
            assertEquals(0, w.exit(), w.stderr());
            assertTrue(w.stdout().lines().anyMatch(l -> l.contains("(chan time.Time, buffered 0/1, open): 1 goroutine receive")),
                    "main waits on its timer's channel:\n" + w.stdout());
            assertFalse(w.stdout().contains("all goroutines are asleep"), w.stdout());
            t.assertRunningUntraced();
        } finally {
            Files.deleteIfExists(objects);
        }
    }

    @Test
    void waitsWithJsonOrGroupIsBadInput() {
        for (List<String> extra : List.of(List.of("--format", "json"), List.of("--group"))) {
            List<String> args = new ArrayList<>(List.of("goroutines", "1", "--waits"));
            args.addAll(extra);
            AgentCli.Result r = AgentCli.run(args.toArray(String[]::new));
            assertEquals(2, r.exit(), r.stderr());
            assertEquals(1, r.stderr().strip().lines().count(), r.stderr());
            assertTrue(r.stderr().contains("--waits"), r.stderr());
        }
    }
}
