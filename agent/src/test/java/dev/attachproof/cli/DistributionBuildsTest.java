package dev.attachproof.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.attachproof.testing.AgentCli;
import dev.attachproof.testing.FixtureProcess;
import dev.attachproof.testing.GoFixture;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every command on Go programs built as distributions build them (cgo, PIE, the system linker),
 * on every release, stripped and not: doctor proves and reads the Go version and goroutine count,
 * compat and ps name the version `go version` names, goroutines writes JSON with the fixture's
 * frames and a profile `go tool pprof` opens. (The text dump is compared with Go's own, frame by
 * frame, in GoroutinesTest.)
 */
class DistributionBuildsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static Stream<Arguments> everyRelease() {
        return dev.attachproof.golang.LayoutGenerator.TOOLCHAINS.stream()
                .flatMap(t -> Stream.of(Arguments.of(t, false), Arguments.of(t, true)));
    }

    @ParameterizedTest(name = "{0} stripped={1}")
    @MethodSource("everyRelease")
    void everyCommandReadsAnExternallyLinkedPie(String toolchain, boolean stripped) throws Exception {
        Path binary = GoFixture.build("stacks", toolchain, stripped, GoFixture.Link.EXTERNAL_PIE, "amd64");
        String goVersion = goVersionOf(binary);
        try (FixtureProcess t = FixtureProcess.start(binary)) {
            String pid = Integer.toString(t.pid());

            AgentCli.Result doctor = AgentCli.run("doctor", pid, "--json");
            assertEquals(0, doctor.exit(), doctor.stderr());
            JsonNode proof = JSON.readTree(doctor.stdout()).get("proof");
            assertTrue(proof.get("ok").asBoolean(), doctor.stdout());
            assertEquals(goVersion, proof.get("goVersion").asText(null), "the proof names the version (from memory, or stripped, from the build info)");
            assertTrue(proof.get("goroutines").asInt(0) >= 13, "the proof counts the fixture's goroutines: " + proof);

            AgentCli.Result compat = AgentCli.run("compat", pid, "--json");
            JsonNode c = JSON.readTree(compat.stdout());
            assertEquals(goVersion, c.get("goVersion").asText(), compat.stdout() + compat.stderr());
            assertEquals(stripped ? "table " + goVersion.replaceFirst("^(go1\\.\\d+).*", "$1") + "-amd64" : "dwarf",
                    c.get("layout").asText());

            AgentCli.Result ps = AgentCli.run("ps", "--json");
            assertEquals(0, ps.exit(), ps.stderr());
            boolean listed = false;
            for (JsonNode p : JSON.readTree(ps.stdout()).get("processes")) {
                listed |= p.get("pid").asText().equals(pid) && p.get("goVersion").asText().equals(goVersion);
            }
            assertTrue(listed, "ps lists " + pid + " as " + goVersion + ":\n" + ps.stdout());

            AgentCli.Result json = AgentCli.run("goroutines", pid, "--format", "json");
            assertEquals(0, json.exit(), json.stderr());
            JsonNode root = JSON.readTree(json.stdout());
            assertEquals(goVersion, root.get("goVersion").asText());
            boolean recursion = false;
            for (JsonNode g : root.get("goroutines")) {
                for (JsonNode f : g.get("frames")) {
                    recursion |= f.get("function").asText().equals("main.recurse") && f.get("file").asText().endsWith("/stacks/main.go");
                }
            }
            assertTrue(recursion, "the fixture's recursion, with its file");

            Path profile = Files.createTempFile("goroutines", ".pb.gz");
            try {
                AgentCli.Result pprof = AgentCli.run("goroutines", pid, "--format", "pprof", "-o", profile.toString());
                assertEquals(0, pprof.exit(), pprof.stderr());
                Process p = new ProcessBuilder("go", "tool", "pprof", "-top", profile.toString()).redirectErrorStream(true).start();
                String top = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertEquals(0, p.waitFor(), top);
                assertTrue(top.contains("main.recurse"), top);
            } finally {
                Files.deleteIfExists(profile);
            }
            t.assertRunningUntraced();
        }
    }

    /** The Go version as Go's own reader of build info names it: `go version FILE`. */
    private static String goVersionOf(Path binary) throws Exception {
        Process p = new ProcessBuilder("go", "version", binary.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertEquals(0, p.waitFor(), out);
        return out.substring(out.lastIndexOf(' ') + 1);
    }
}
