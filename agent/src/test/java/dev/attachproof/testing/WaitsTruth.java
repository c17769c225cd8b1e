package dev.attachproof.testing;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The waits fixture's truth (agent/go/waits: the objects it parks goroutines on, with their
 * addresses, as it printed them) held against a goroutines JSON document: WaitsTest on the host,
 * Arm64KernelTest on an arm64 kernel.
 */
public final class WaitsTruth {
    private WaitsTruth() {}

    /** One line of the fixture's truth: "OBJECT kind address function goroutines [op elemType len cap]". */
    public record Truth(String kind, String address, String function, int goroutines, String op, String elemType, long len,
                        long cap) {
        static Truth parse(String line) {
            String[] f = line.split(" ");
            boolean chan = f[1].equals("chan");
            return new Truth(f[1], f[2], "main." + f[3], Integer.parseInt(f[4]), chan ? f[5] : null, chan ? f[6] : null,
                    chan ? Long.parseLong(f[7]) : 0, chan ? Long.parseLong(f[8]) : 0);
        }
    }

    /** The fixture's objects file, line by line (ten objects). */
    public static List<Truth> parse(List<String> lines) {
        List<Truth> truth = lines.stream().filter(l -> l.startsWith("OBJECT ")).map(Truth::parse).toList();
        assertEquals(10, truth.size(), "the fixture's objects: " + lines);
        return truth;
    }

    /** How many goroutines wait on the objects (a select's are under two). */
    public static int waitingGoroutines(List<Truth> truth) {
        Map<String, Integer> byFunction = new LinkedHashMap<>();
        truth.forEach(o -> byFunction.put(o.function(), o.goroutines()));
        return byFunction.values().stream().mapToInt(Integer::intValue).sum();
    }

    /**
     * Every goroutine under each object's function in {@code doc} (a goroutines JSON document)
     * names that object in its waitingOn, with the channel's op, element type, length, capacity
     * and state as the fixture made them.
     */
    public static void assertNamesEveryObject(List<Truth> truth, JsonNode doc) {
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
    }

    /**
     * After two collections (the fixture's -gcs 2) every waiter stood at the stop: `--timing`'s
     * `waits kept N` (on {@code stderr}) counts them all, what was read before the stop.
     */
    public static void assertEveryWaiterKept(List<Truth> truth, String stderr) {
        Matcher kept = Pattern.compile("waits kept (\\d+);").matcher(stderr);
        assertTrue(kept.find(), stderr);
        int waiting = waitingGoroutines(truth);
        assertTrue(Integer.parseInt(kept.group(1)) >= waiting, waiting + " goroutines wait on objects: " + stderr);
    }
}
