package dev.attachproof.vscode;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.attachproof.delve.DapClient;
import dev.attachproof.testing.AgentCli;
import dev.attachproof.testing.DelveBuild;
import dev.attachproof.testing.DlvDap;
import dev.attachproof.testing.FixtureProcess;
import dev.attachproof.testing.GoFixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code attachproof vscode}: the configuration it prints is sent, as VS Code sends it, to a
 * real Delve (1.25.2) over DAP, on a real Go program built in the repository while the
 * workspace is a copy elsewhere: a breakpoint set in the workspace's file binds, and the frames
 * Delve reports name the workspace's files. Without the printed substitutePath the same
 * breakpoint does not bind.
 */
class VscodeCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** A line of the fixture that runs only with -nondumpable: a breakpoint there never stops the target. */
    private static final String NEVER_RUN = "prctl(prSetDumpable, 0)";

    @TempDir
    Path temp;

    @Test
    void theLocalConfigurationBindsBreakpointsInTheWorkspace() throws Exception {
        Path dlv = DelveBuild.dlv();
        Path ws = workspaceCopy();
        try (FixtureProcess t = FixtureProcess.start(GoFixture.build("target", "go1.24.0", false))) {
            AgentCli.Result r = AgentCli.run("vscode", Integer.toString(t.pid()), "--workspace", ws.toString(), "--dlv", dlv.toString(), "--json");
            assertEquals(0, r.exit(), r.stdout() + r.stderr());
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

            bindsAndShowsWorkspacePaths(dlv, expand(config, ws), ws);
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
        Path ws = workspaceCopy();
        Path binary = GoFixture.build("target", "go1.24.0", false, GoFixture.Link.INTERNAL, "amd64", true);
        try (FixtureProcess t = FixtureProcess.start(binary)) {
            AgentCli.Result r = AgentCli.run("vscode", Integer.toString(t.pid()), "--workspace", ws.toString(), "--dlv", dlv.toString(), "--json");
            assertEquals(0, r.exit(), r.stdout() + r.stderr());
            JsonNode rules = JSON.readTree(r.stdout()).get("configuration").get("substitutePath");
            assertEquals("${workspaceFolder}", rules.get(0).get("from").asText());
            assertEquals("attachproof.dev/fixtures", rules.get(0).get("to").asText());
            JsonNode last = rules.get(rules.size() - 1);
            if (last.get("to").asText().isEmpty()) {   // a local go1.24.0 (the toolchain that built it) maps "runtime/…"
                assertTrue(Files.isRegularFile(Path.of(last.get("from").asText(), "runtime/proc.go")), last.toString());
            }
            bindsAndShowsWorkspacePaths(dlv, expand(JSON.readTree(r.stdout()).get("configuration"), ws), ws);
            t.assertRunningUntraced();
        }
    }

    /** The text output is launch.json's JSON with comments: without its comment lines, it is the configuration of --json. */
    @Test
    void theTextIsTheConfigurationWithComments() throws Exception {
        Path ws = workspaceCopy();
        try (FixtureProcess t = FixtureProcess.start(GoFixture.build("target"))) {
            AgentCli.Result text = AgentCli.run("vscode", Integer.toString(t.pid()), "--workspace", ws.toString());
            AgentCli.Result json = AgentCli.run("vscode", Integer.toString(t.pid()), "--workspace", ws.toString(), "--json");
            assertEquals(0, text.exit(), text.stdout() + text.stderr());
            List<String> lines = text.stdout().lines().toList();
            assertTrue(lines.getFirst().startsWith("// attachproof vscode " + t.pid() + ": a local attach"), text.stdout());
            String uncommented = String.join("\n", lines.stream().filter(l -> !l.startsWith("//")).toList());
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

    /**
     * The configuration sent as VS Code sends it: a breakpoint in the workspace's copy of the
     * fixture binds, and the main goroutine's frames are reported in the workspace's files.
     */
    static void bindsAndShowsWorkspacePaths(Path dlv, ObjectNode configuration, Path ws) throws Exception {
        try (DlvDap dap = DlvDap.start(dlv)) {
            dap.initializeAndAttach(configuration);
            JsonNode set = dap.request("setBreakpoints", breakpoint(ws));
            assertTrue(set.get("breakpoints").get(0).get("verified").asBoolean(), "the breakpoint binds: " + set);
            dap.request("configurationDone", null);
            dap.request("pause", DapClient.arguments().put("threadId", 1));
            dap.awaitEvent("stopped");
            int main = -1;
            for (JsonNode th : dap.request("threads", null).get("threads")) {
                if (th.get("name").asText().contains("main.main")) {
                    main = th.get("id").asInt();
                }
            }
            assertTrue(main > 0, "Delve lists the main goroutine");
            List<String> paths = new ArrayList<>();
            for (JsonNode f : dap.request("stackTrace", DapClient.arguments().put("threadId", main).put("levels", 20)).get("stackFrames")) {
                paths.add(f.path("source").path("path").asText());
            }
            assertTrue(paths.contains(ws.resolve("target/main.go").toString()), "frames in the workspace's files: " + paths);
            // The breakpoint goes before the session ends: Delve removes it on detach, and the target runs on.
            dap.request("setBreakpoints", DapClient.arguments().set("source", DapClient.arguments().put("path",
                    ws.resolve("target/main.go").toString())));
        }
    }

    static ObjectNode breakpoint(Path ws) throws IOException {
        Path main = ws.resolve("target/main.go");
        List<String> lines = Files.readAllLines(main);
        int line = 0;
        for (int i = 0; i < lines.size() && line == 0; i++) {
            line = lines.get(i).contains(NEVER_RUN) ? i + 1 : 0;
        }
        assertTrue(line > 0, NEVER_RUN + " in " + main);
        ObjectNode args = DapClient.arguments();
        args.set("source", DapClient.arguments().put("path", main.toString()));
        args.putArray("breakpoints").addObject().put("line", line);
        return args;
    }

    /** The configuration with ${workspaceFolder} replaced, as VS Code does before it sends it. */
    static ObjectNode expand(JsonNode config, Path ws) throws IOException {
        return (ObjectNode) JSON.readTree(JSON.writeValueAsString(config).replace("${workspaceFolder}", ws.toString()));
    }

    /** The fixtures' module copied elsewhere: the editor's checkout, at another path than the one the binary was built from. */
    Path workspaceCopy() throws IOException {
        Path src = GoFixture.repo().resolve("agent/go");
        Path ws = temp.resolve("checkout");
        try (Stream<Path> files = Files.walk(src)) {
            for (Path p : files.toList()) {
                Path to = ws.resolve(src.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(to);
                } else {
                    Files.copy(p, to);
                }
            }
        }
        return ws;
    }
}
