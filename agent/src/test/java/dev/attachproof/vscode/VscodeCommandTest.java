package dev.attachproof.vscode;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.attachproof.testing.AgentCli;
import dev.attachproof.testing.DelveBuild;
import dev.attachproof.testing.DlvDap;
import dev.attachproof.testing.FixtureProcess;
import dev.attachproof.testing.GoFixture;
import dev.attachproof.testing.Schemas;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static dev.attachproof.testing.LaunchConfigurations.bindsAndShowsWorkspacePaths;
import static dev.attachproof.testing.LaunchConfigurations.breakpoint;
import static dev.attachproof.testing.LaunchConfigurations.expand;
import static dev.attachproof.testing.LaunchConfigurations.workspaceCopy;

/**
 * {@code attachproof vscode}: the configuration it prints is sent, as VS Code sends it, to a
 * real Delve (1.25.2) over DAP, on a real Go program built in the repository while the
 * workspace is a copy elsewhere: a breakpoint set in the workspace's file binds, and the frames
 * Delve reports name the workspace's files. Without the printed substitutePath the same
 * breakpoint does not bind.
 */
class VscodeCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path temp;

    @Test
    void theLocalConfigurationBindsBreakpointsInTheWorkspace() throws Exception {
        Path dlv = DelveBuild.dlv();
        Path ws = workspaceCopy(temp);
        try (FixtureProcess t = FixtureProcess.start(GoFixture.build("target", "go1.24.0", false))) {
            AgentCli.Result r = AgentCli.run("vscode", Integer.toString(t.pid()), "--workspace", ws.toString(), "--dlv", dlv.toString(), "--json");
            assertEquals(0, r.exit(), r.stdout() + r.stderr());
            Schemas.assertValid(r.stdout());
            JsonNode doc = JSON.readTree(r.stdout());
            assertEquals("attachproof.vscode/v1", doc.get("schema").asText());
            assertEquals("local", doc.get("mode").asText());
            assertTrue(doc.get("works").asBoolean());
            JsonNode config = doc.get("configuration");
            assertEquals("attach", config.get("request").asText());
            assertEquals(t.pid(), config.get("processId").asInt());
            JsonNode rule = config.get("substitutePath").get(0);
            assertEquals("${workspaceFolder}", rule.get("from").asText());
            assertEquals(GoFixture.repo().resolve("agent/go").toString(), rule.get("to").asText());

            try (DlvDap dap = DlvDap.start(dlv)) {
                bindsAndShowsWorkspacePaths(dap, expand(config, ws), ws);
            }
            t.assertRunningUntraced();

            ObjectNode without = expand(config, ws);
            without.remove("substitutePath");
            try (DlvDap dap = DlvDap.start(dlv)) {
                dap.initializeAndAttach(without);
                JsonNode set = dap.request("setBreakpoints", breakpoint(ws));
                assertFalse(set.get("breakpoints").get(0).get("verified").asBoolean(),
                        "without substitutePath the workspace's file is unknown to Delve: " + set);
            }
            t.assertRunningUntraced();
        }
    }

    /** Under -trimpath the binary names its module path and "runtime/…": the rules map those, the standard library's last. */
    @Test
    void aTrimpathBinaryIsMappedByItsModulePath() throws Exception {
        Path dlv = DelveBuild.dlv();
        Path ws = workspaceCopy(temp);
        Path binary = GoFixture.build("target", "go1.24.0", false, GoFixture.Link.INTERNAL, "amd64", true);
        try (FixtureProcess t = FixtureProcess.start(binary)) {
            AgentCli.Result r = AgentCli.run("vscode", Integer.toString(t.pid()), "--workspace", ws.toString(), "--dlv", dlv.toString(), "--json");
            assertEquals(0, r.exit(), r.stdout() + r.stderr());
            Schemas.assertValid(r.stdout());
            JsonNode rules = JSON.readTree(r.stdout()).get("configuration").get("substitutePath");
            assertEquals("${workspaceFolder}", rules.get(0).get("from").asText());
            assertEquals("attachproof.dev/fixtures", rules.get(0).get("to").asText());
            JsonNode last = rules.get(rules.size() - 1);
            if (last.get("to").asText().isEmpty()) {   // a local go1.24.0 (the toolchain that built it) maps "runtime/…"
                assertTrue(Files.isRegularFile(Path.of(last.get("from").asText(), "runtime/proc.go")), last.toString());
            }
            try (DlvDap dap = DlvDap.start(dlv)) {
                bindsAndShowsWorkspacePaths(dap, expand(JSON.readTree(r.stdout()).get("configuration"), ws), ws);
            }
            t.assertRunningUntraced();
        }
    }

    /**
     * Where this host may not attach (a seccomp filter denying ptrace binds the command, as it
     * would bind the dlv VS Code starts): the local entry, exit 1, and the doctor's failing check
     * with its remedy in the comments.
     */
    @Test
    void aLocalAttachThatWillNotWorkSaysWhy() throws Exception {
        try (FixtureProcess t = FixtureProcess.start(GoFixture.build("target"))) {
            AgentCli.Result json = AgentCli.run("restricted", "--seccomp-deny", "ptrace", "--", "vscode", Integer.toString(t.pid()), "--json");
            assertEquals(1, json.exit(), json.stdout() + json.stderr());
            Schemas.assertValid(json.stdout());
            JsonNode doc = JSON.readTree(json.stdout());
            assertEquals("local", doc.get("mode").asText());
            assertFalse(doc.get("works").asBoolean());
            assertTrue(doc.get("reason").asText().startsWith("this host cannot attach to pid " + t.pid() + " yet: seccomp.ptrace: "),
                    doc.get("reason").asText());
            AgentCli.Result text = AgentCli.run("restricted", "--seccomp-deny", "ptrace", "--", "vscode", Integer.toString(t.pid()));
            assertEquals(1, text.exit(), text.stdout() + text.stderr());
            assertTrue(text.stdout().startsWith("// attachproof vscode " + t.pid() + ": a local attach that will NOT work yet\n"), text.stdout());
            assertTrue(text.stdout().contains("// fail seccomp.ptrace: "), text.stdout());
            t.assertRunningUntraced();
        }
    }

    /** The text output is launch.json's JSON with comments: without its comment lines, it is the configuration of --json. */
    @Test
    void theTextIsTheConfigurationWithComments() throws Exception {
        Path ws = workspaceCopy(temp);
        try (FixtureProcess t = FixtureProcess.start(GoFixture.build("target"))) {
            AgentCli.Result text = AgentCli.run("vscode", Integer.toString(t.pid()), "--workspace", ws.toString());
            AgentCli.Result json = AgentCli.run("vscode", Integer.toString(t.pid()), "--workspace", ws.toString(), "--json");
            assertEquals(0, text.exit(), text.stdout() + text.stderr());
            List<String> lines = text.stdout().lines().toList();
            assertTrue(lines.getFirst().startsWith("// attachproof vscode " + t.pid() + ": a local attach"), text.stdout());
            String uncommented = String.join("\n", lines.stream().filter(l -> !l.startsWith("//")).toList());
            Schemas.assertValid(json.stdout());
            assertEquals(JSON.readTree(json.stdout()).get("configuration"), JSON.readTree(uncommented));
            assertTrue(text.stdout().contains("\"mode\": \"local\""), "written as VS Code writes launch.json:\n" + text.stdout());
        }
    }

    @Test
    void badInputIsOneLineAndExit2() {
        AgentCli.Result r = AgentCli.run("vscode", "1", "--mode", "sideways");
        assertEquals(2, r.exit(), r.stdout() + r.stderr());
        assertEquals(List.of("attachproof: --mode sideways: give local or remote"), r.stderr().lines().toList());
        AgentCli.Result gone = AgentCli.run("vscode", "999999999");
        assertEquals(2, gone.exit(), gone.stdout() + gone.stderr());
        assertEquals(1, gone.stderr().lines().count(), gone.stderr());
    }
}
