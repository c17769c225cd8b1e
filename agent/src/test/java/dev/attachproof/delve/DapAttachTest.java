package dev.attachproof.delve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.attachproof.linux.Linux;
import dev.attachproof.procfs.ProcFs;
import dev.attachproof.ptrace.AttachResult;
import dev.attachproof.ptrace.StopMode;
import dev.attachproof.ptrace.Tracer;
import dev.attachproof.testing.AgentCli;
import dev.attachproof.testing.DelveBuild;
import dev.attachproof.testing.FixtureProcess;
import dev.attachproof.testing.GoFixture;
import dev.attachproof.testing.Schemas;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code attachproof dap}: real Delves (1.25.2 built from its module, Debian's 1.20.2) speaking
 * DAP to real Go fixtures, from a child JVM, so that a seccomp filter binds it and the dlv it
 * starts. Each case ends with the target checked to run on untraced.
 */
class DapAttachTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The steps of an attach that works, in the order VS Code's Go extension makes them. */
    private static final List<String> ALL_STEPS = List.of("start", "initialize", "attach", "initialized", "configurationDone",
            "pause", "stopped", "threads", "stackTrace", "disconnect", "release");

    @Test
    void delve1252AttachesListsGoroutinesAndLetsGo() throws Exception {
        Path dlv = DelveBuild.dlv();
        // Built by go1.24.0: DWARF 4, in Delve 1.25.2's range (a Go 1.25 target's DWARF 5 needs a Delve built by 1.25).
        try (FixtureProcess t = FixtureProcess.start(GoFixture.build("target", "go1.24.0", false))) {
            AgentCli.Result r = AgentCli.run("dap", Integer.toString(t.pid()), "--dlv", dlv.toString(), "--json");
            assertEquals(0, r.exit(), r.stdout() + r.stderr());
            Schemas.assertValid(r.stdout());
            JsonNode doc = JSON.readTree(r.stdout());
            assertEquals("attachproof.dap/v1", doc.get("schema").asText());
            assertEquals(t.pid(), doc.get("pid").asInt());
            assertEquals("1.25.2", doc.get("dlv").get("version").asText());
            assertEquals("--dlv", doc.get("dlv").get("foundIn").asText());
            assertTrue(doc.get("ok").asBoolean());
            assertEquals(ALL_STEPS, requests(doc));
            List<String> names = new ArrayList<>();
            doc.get("threads").forEach(th -> names.add(th.get("name").asText()));
            // Delve lists the runtime's own goroutines too: at least those runtime.NumGoroutine() counted.
            assertTrue(names.size() >= t.readyGoroutines(), names + " vs " + t.readyGoroutines());
            assertTrue(names.stream().anyMatch(n -> n.contains("main.main")), names.toString());
            assertTrue(names.stream().anyMatch(n -> n.contains("main.parked")), names.toString());
            assertTrue(step(doc, "stackTrace").get("message").asText().matches("\\d+ frames of goroutine \\d+.*"),
                    step(doc, "stackTrace").toString());
            t.assertRunningUntraced();
        }
    }

    /**
     * Debian's Delve 1.20.2 supports Go up to 1.20, but checks the version only on launch: on
     * attach it goes ahead, and lists the goroutines of a Go 1.22 program. The doctor's
     * delve.compat warning is kept beside the success.
     */
    @Test
    void debiansDelveAttachesToAGo122TargetDespiteItsRange() throws Exception {
        assumeTrue(Files.isExecutable(DelveBuild.DEBIAN_DLV), "Debian's delve is not installed (apt-get install delve)");
        try (FixtureProcess t = FixtureProcess.start(GoFixture.build("target", "go1.22.0", false))) {
            AgentCli.Result r = AgentCli.run("dap", Integer.toString(t.pid()), "--dlv", DelveBuild.DEBIAN_DLV.toString(), "--json");
            Schemas.assertValid(r.stdout());
            JsonNode doc = JSON.readTree(r.stdout());
            assertEquals("1.20.2", doc.get("dlv").get("version").asText());
            assertEquals(0, r.exit(), r.stdout() + r.stderr());
            assertFalse(doc.get("threads").isEmpty());
            JsonNode compat = explanation(doc, "delve.compat");
            assertTrue(compat.get("summary").asText().contains("does not support go1.22.0"), compat.toString());
            t.assertRunningUntraced();
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"1.25.2, could not read debug info", "1.20.2, could not open debug info"})
    void aStrippedTargetFailsInTheAttachStepInDelvesWords(String delve, String words) throws Exception {
        Path dlv = delve.equals("1.20.2") ? DelveBuild.DEBIAN_DLV : DelveBuild.dlv();
        assumeTrue(Files.isExecutable(dlv), dlv + " is not installed");
        try (FixtureProcess t = FixtureProcess.start(GoFixture.build("target", "default", true))) {
            AgentCli.Result r = AgentCli.run("dap", Integer.toString(t.pid()), "--dlv", dlv.toString(), "--json");
            assertEquals(1, r.exit(), r.stdout() + r.stderr());
            Schemas.assertValid(r.stdout());
            JsonNode doc = JSON.readTree(r.stdout());
            assertFalse(doc.get("ok").asBoolean());
            JsonNode attach = step(doc, "attach");
            assertFalse(attach.get("ok").asBoolean());
            String message = attach.get("message").asText();
            assertTrue(message.contains("could not attach to pid " + t.pid() + ": " + words), message);
            assertEquals(List.of("start", "initialize", "attach", "disconnect", "release"), requests(doc));
            assertTrue(step(doc, "release").get("ok").asBoolean());
            assertTrue(explanation(doc, "target.debuginfo").get("summary").asText().contains("no DWARF"));
            t.assertRunningUntraced();
        }
    }

    /** The filter `restricted` installs binds the dlv it starts: Delve's EPERM, and the doctor's seccomp.ptrace as the why. */
    @Test
    void aSeccompFilterDenyingPtraceIsDelvesEpermAndTheDoctorsWhy() throws Exception {
        Path dlv = DelveBuild.dlv();
        try (FixtureProcess t = FixtureProcess.start(GoFixture.build("target", "go1.24.0", false))) {
            AgentCli.Result r = AgentCli.run("restricted", "--seccomp-deny", "ptrace", "--",
                    "dap", Integer.toString(t.pid()), "--dlv", dlv.toString(), "--json");
            assertEquals(1, r.exit(), r.stdout() + r.stderr());
            Schemas.assertValid(r.stdout());
            JsonNode doc = JSON.readTree(r.stdout());
            String message = step(doc, "attach").get("message").asText();
            assertTrue(message.contains("could not attach to pid " + t.pid() + ": operation not permitted"), message);
            assertTrue(explanation(doc, "seccomp.ptrace").get("summary").asText().contains("EPERM"));
            t.assertRunningUntraced();
        }
    }

    /** Another tracer first: Delve's EPERM, the doctor's target.traced naming it, and that tracer left alone. */
    @Test
    void aTargetAlreadyTracedIsDelvesEpermAndTheDoctorNamesTheTracer() throws Exception {
        Path dlv = DelveBuild.dlv();
        Tracer ours = new Tracer(Linux.system(), ProcFs.live());
        try (FixtureProcess t = FixtureProcess.start(GoFixture.build("target", "go1.24.0", false))) {
            AttachResult.Attached held = assertInstanceOf(AttachResult.Attached.class,
                    ours.attach(t.pid(), StopMode.LEADER, Duration.ofSeconds(2)));
            try {
                String tracer = FixtureProcess.field(t.status(), "TracerPid");   // our tracer thread's tid
                AgentCli.Result r = AgentCli.run("dap", Integer.toString(t.pid()), "--dlv", dlv.toString(), "--json");
                assertEquals(1, r.exit(), r.stdout() + r.stderr());
                Schemas.assertValid(r.stdout());
                JsonNode doc = JSON.readTree(r.stdout());
                String message = step(doc, "attach").get("message").asText();
                assertTrue(message.contains("could not attach to pid " + t.pid() + ": operation not permitted"), message);
                String traced = explanation(doc, "target.traced").get("summary").asText();
                assertTrue(traced.contains("traced by pid " + ProcessHandle.current().pid() + " "), traced);
                JsonNode release = step(doc, "release");
                assertTrue(release.get("ok").asBoolean(), release.toString());
                assertTrue(release.get("message").asText().contains("traced by pid " + tracer + " as before"),
                        release.toString());
            } finally {
                held.session().close();
            }
            t.assertRunningUntraced();
        }
    }

    @Test
    void theTextSaysEachStepAndTheVerdict() throws Exception {
        Path dlv = DelveBuild.dlv();
        try (FixtureProcess t = FixtureProcess.start(GoFixture.build("target", "default", true))) {
            AgentCli.Result r = AgentCli.run("dap", Integer.toString(t.pid()), "--dlv", dlv.toString());
            assertEquals(1, r.exit(), r.stdout() + r.stderr());
            assertTrue(r.stdout().lines().anyMatch(l -> l.matches("\\s+attach\\s+\\d+ ms\\s+FAILED\\s+Failed to attach: .*")), r.stdout());
            assertTrue(r.stdout().contains("NOT attached: the attach step failed"), r.stdout());
            assertTrue(r.stdout().contains("target.debuginfo"), r.stdout());
        }
    }

    @Test
    void noSuchPidOrNoDelveIsBadInputInOneLine() throws Exception {
        AgentCli.Result gone = AgentCli.run("dap", "4194303", "--dlv", DelveBuild.dlv().toString());
        assertEquals(2, gone.exit());
        assertEquals("", gone.stdout());
        assertEquals(1, gone.stderr().lines().count(), gone.stderr());
        assertTrue(gone.stderr().startsWith("attachproof: no process with pid 4194303"), gone.stderr());

        try (FixtureProcess t = FixtureProcess.start(GoFixture.build("target"))) {
            AgentCli.Result none = AgentCli.run("dap", Integer.toString(t.pid()), "--dlv", "/nonexistent/dlv");
            assertEquals(2, none.exit());
            assertEquals("attachproof: --dlv /nonexistent/dlv: no such file\n", none.stderr());
            AgentCli.Result notDelve = AgentCli.run("dap", Integer.toString(t.pid()), "--dlv", "/bin/true");
            assertEquals(2, notDelve.exit());
            assertEquals(1, notDelve.stderr().lines().count(), notDelve.stderr());
            assertTrue(notDelve.stderr().startsWith("attachproof: --dlv /bin/true: "), notDelve.stderr());
            t.assertRunningUntraced();
        }
    }

    private static List<String> requests(JsonNode doc) {
        List<String> out = new ArrayList<>();
        doc.get("steps").forEach(s -> out.add(s.get("request").asText()));
        return out;
    }

    private static JsonNode step(JsonNode doc, String request) {
        for (JsonNode s : doc.get("steps")) {
            if (s.get("request").asText().equals(request)) {
                return s;
            }
        }
        throw new AssertionError("no " + request + " step in " + doc.get("steps"));
    }

    private static JsonNode explanation(JsonNode doc, String id) {
        for (JsonNode e : doc.get("explanation")) {
            if (e.get("id").asText().equals(id)) {
                return e;
            }
        }
        throw new AssertionError("no " + id + " in the explanation " + doc.get("explanation"));
    }
}
