package dev.attachproof.snapshot;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.attachproof.report.GoroutinesGrouped;
import dev.attachproof.report.GoroutinesJson;
import dev.attachproof.report.GoroutinesText;
import dev.attachproof.testing.FixtureProcess;
import dev.attachproof.testing.GoFixture;
import dev.attachproof.testing.GosOwnDump;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Argument words against Go's own: the args fixture parks goroutines in functions whose
 * arguments take every shape printArgs prints differently (sized integers, floats, complex
 * numbers, strings, slices, interfaces, structs, arrays, nesting past 5 levels, more than 10
 * words, an offset past 250 bytes, register arguments whose spill slots are not written yet, a
 * method, a generic function, an inlined call at the parking site, two goroutines at the same PCs
 * with different words), and the dump of every one
 * must be the fixture's own runtime.Stack(all), byte for byte, on every release the layout table
 * is made from, stripped and not, each link. The shapes are then looked for in the dump, so a
 * fixture that stopped making one is noticed; and the JSON's {@code args} are the text's words.
 */
class ArgumentWordsTest {
    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> everyRelease() {
        return GoroutinesTest.everyRelease();
    }

    @ParameterizedTest(name = "{0} stripped={1} {2}")
    @MethodSource("everyRelease")
    void wordsAreGosOwn(String toolchain, boolean stripped, GoFixture.Link link) throws Exception {
        try (FixtureProcess t = FixtureProcess.start(GoFixture.build("args", toolchain, stripped, link, "amd64"))) {
            GoroutineSnapshot s = GoroutinesTest.settled(t.pid());
            t.assertRunningUntraced();
            String ours = GoroutinesText.write(s, false);
            // 15 goroutines park in the functions under test, and main waits on stdin.
            assertTrue(GoroutinesTest.sameAsGosOwnDump(t, s) >= 16, ours);

            assertTrue(line(ours, "main.many").endsWith(", ...)"), "more than 10 words: " + line(ours, "main.many"));
            assertTrue(line(ours, "main.deep").startsWith("main.deep({{{{{...}}}}}, "), "nested past 5 levels: " + line(ours, "main.deep"));
            assertEquals("main.tooFar({{{{{...}}}}, _}, _)", line(ours, "main.tooFar"), "offsets past 250 bytes");
            assertTrue(line(ours, "main.aggregate").endsWith(", {}, {})"), "empty array and struct: " + line(ours, "main.aggregate"));
            assertEquals("main.parkInlined(...)", line(ours, "main.parkInlined"), "an inlined frame keeps (...)");
            assertTrue(line(ours, "main.floats").endsWith("{0x4008000000000000, 0xc010000000000000})"),
                    "complex(3, -4): " + line(ours, "main.floats"));
            assertTrue(line(ours, "main.texts").startsWith("main.texts({0x"), "a string: " + line(ours, "main.texts"));
            assertTrue(ours.lines().anyMatch(l -> l.startsWith("main.") && l.endsWith("?)")), "a word not live at the PC");

            // --group: the two goroutines in main.twice are one group; where their words differ
            // (1.22 on: 1.19 and 1.21 had not spilled n, and both print "0x0?"), that frame
            // prints "(...)".
            List<String> twice = ours.lines().filter(l -> l.startsWith("main.twice(0x")).toList();
            assertEquals(2, twice.size(), ours);
            java.io.ByteArrayOutputStream grouped = new java.io.ByteArrayOutputStream();
            GoroutinesGrouped.write(s, false, false, grouped);
            String groups = grouped.toString(java.nio.charset.StandardCharsets.UTF_8);
            String shared = twice.get(0).equals(twice.get(1)) ? twice.get(0) : "main.twice(...)";
            assertTrue(groups.contains("2 goroutines [chan receive], ids ") && groups.contains("\n" + shared + "\n"), groups);
            assertEquals(line(ours, "main.many"), line(groups, "main.many"), "a group of one keeps its words");

            // The JSON's args are the text's words, frame by frame.
            JsonNode root = new ObjectMapper().readTree(GoroutinesJson.write(s));
            Map<String, String> blocks = GosOwnDump.blocks(ours);
            int checked = 0;
            for (JsonNode g : root.get("goroutines")) {
                if (g.get("system").asBoolean()) {
                    continue;
                }
                List<String> frameLines = blocks.get(g.get("id").asText()).lines()
                        .filter(l -> !l.startsWith("\t") && !l.startsWith("goroutine ") && !l.startsWith("created by ")
                                && !l.startsWith("...")).toList();
                assertEquals(frameLines.size(), g.get("frames").size(), g.toString());
                for (int i = 0; i < frameLines.size(); i++) {
                    JsonNode f = g.get("frames").get(i);
                    assertEquals(frameLines.get(i), f.get("function").asText() + "(" + f.get("args").asText() + ")");
                    checked++;
                }
            }
            assertTrue(checked > 30, "frames checked: " + checked);
        }
    }

    /** The first frame line of function {@code function} in a dump. */
    private static String line(String dump, String function) {
        return dump.lines().filter(l -> l.startsWith(function + "(")).findFirst()
                .orElseThrow(() -> new AssertionError("no frame of " + function + " in\n" + dump));
    }
}
