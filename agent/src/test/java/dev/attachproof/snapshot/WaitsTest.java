package dev.attachproof.snapshot;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.attachproof.golang.LayoutGenerator;
import dev.attachproof.testing.AgentCli;
import dev.attachproof.testing.FixtureProcess;
import dev.attachproof.testing.GoFixture;
import dev.attachproof.testing.Schemas;
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
import static org.junit.jupiter.api.Assertions.assertNotNull;
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

    /** One line of the fixture's truth: "OBJECT kind address function goroutines [op elemType len cap]". */
    record Truth(String kind, String address, String function, int goroutines, String op, String elemType, long len, long cap) {
        static Truth parse(String line) {
            String[] f = line.split(" ");
            boolean chan = f[1].equals("chan");
            return new Truth(f[1], f[2], "main." + f[3], Integer.parseInt(f[4]), chan ? f[5] : null, chan ? f[6] : null,
                    chan ? Long.parseLong(f[7]) : 0, chan ? Long.parseLong(f[8]) : 0);
        }
    }

    @ParameterizedTest(name = "{0} stripped={1} gcs={2}")
    @MethodSource("everyRelease")
    void everyBlockedGoroutineNamesItsObject(String toolchain, boolean stripped, int gcs) throws Exception {
        Path objects = Files.createTempFile("waits-objects", ".txt");
        try (FixtureProcess t = FixtureProcess.start(GoFixture.build("waits", toolchain, stripped), "-objects", objects.toString(),
                "-gcs", Integer.toString(gcs))) {
            List<Truth> truth = Files.readAllLines(objects).stream().map(Truth::parse).toList();
            assertEquals(10, truth.size(), "the fixture's objects");
            AgentCli.Result r = AgentCli.run("goroutines", Integer.toString(t.pid()), "--format", "json", "--timing");
            assertEquals(0, r.exit(), r.stderr());
            if (gcs >= 2) {
                // Every blocked goroutine of the fixture stood: what it waits on was not read while stopped.
                Map<String, Integer> byFunction = new LinkedHashMap<>();   // a select's goroutines are under two objects
                truth.forEach(o -> byFunction.put(o.function(), o.goroutines()));
                int waiting = byFunction.values().stream().mapToInt(Integer::intValue).sum();
                java.util.regex.Matcher kept = java.util.regex.Pattern.compile("waits kept (\\d+);").matcher(r.stderr());
                assertTrue(kept.find(), r.stderr());
                assertTrue(Integer.parseInt(kept.group(1)) >= waiting, waiting + " goroutines wait on objects: " + r.stderr());
            }
            Schemas.assertValid(r.stdout());
            JsonNode doc = JSON.readTree(r.stdout());
            for (Truth o : truth) {
                List<JsonNode> waiting = new ArrayList<>();
                for (JsonNode g : doc.get("goroutines")) {
                    for (JsonNode f : g.get("frames")) {
                        if (f.get("function").asText().equals(o.function())) {
                            waiting.add(g);
                            break;
                        }
                    }
                }
                assertEquals(o.goroutines(), waiting.size(), o + ": goroutines under " + o.function());
                for (JsonNode g : waiting) {
                    JsonNode on = g.get("waitingOn");
                    assertTrue(on.isArray(), o + ": goroutine " + g.get("id") + " names no object");
                    JsonNode match = null;
                    for (JsonNode w : on) {
                        if (w.get("address").asText().equals(o.address())) {
                            match = w;
                        }
                    }
                    assertNotNull(match, o + ": goroutine " + g.get("id") + " waits on " + on);
                    assertEquals(o.kind(), match.get("kind").asText(), o + ": " + on);
                    if (o.kind().equals("chan")) {
                        assertEquals(o.op(), match.get("op").asText(), o + ": " + on);
                        assertEquals(o.elemType(), match.get("elemType").asText(), o + ": " + on);
                        assertEquals(o.len(), match.get("len").asLong(), o + ": " + on);
                        assertEquals(o.cap(), match.get("cap").asLong(), o + ": " + on);
                        assertEquals(false, match.get("closed").asBoolean(), o + ": " + on);
                        assertEquals(o.function().equals("main.waitSelect") ? 2 : 1, on.size(), o + ": " + on);
                    } else {
                        assertEquals(1, on.size(), o + ": " + on);
                    }
                }
            }

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
