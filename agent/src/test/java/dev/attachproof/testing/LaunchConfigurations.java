package dev.attachproof.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.attachproof.delve.DapClient;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What VS Code does with a launch configuration `attachproof vscode` printed, done against a real
 * Delve: the workspace is a copy of the fixtures' module at another path than the one the
 * binary was built from (as an editor's checkout is), ${workspaceFolder} is expanded, and the
 * configuration is the attach request's arguments.
 */
public final class LaunchConfigurations {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** A line of a fixture's source, by its text, and the file (relative to the fixtures' module) it is in. */
    public record Line(String file, String text) {}

    /** agent/go/target: a line that runs only with -nondumpable, so a breakpoint there never stops the target. */
    public static final Line TARGET_NEVER_RUN = new Line("target/main.go", "prctl(prSetDumpable, 0)");
    /** agent/go/stacks: the panic of a failed os.Pipe, which never runs. */
    public static final Line STACKS_NEVER_RUN = new Line("stacks/main.go", "panic(err)");

    private LaunchConfigurations() {}

    /** The fixtures' module (agent/go) copied to {@code dir}/checkout. */
    public static Path workspaceCopy(Path dir) throws IOException {
        Path src = GoFixture.repo().resolve("agent/go");
        Path ws = dir.resolve("checkout");
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

    /** The configuration with ${workspaceFolder} replaced, as VS Code does before it sends it. */
    public static ObjectNode expand(JsonNode config, Path ws) throws IOException {
        return (ObjectNode) JSON.readTree(JSON.writeValueAsString(config).replace("${workspaceFolder}", ws.toString()));
    }

    /** setBreakpoints arguments: one breakpoint on a line of the workspace's target/main.go that never runs. */
    public static ObjectNode breakpoint(Path ws) throws IOException {
        return breakpoint(ws, TARGET_NEVER_RUN);
    }

    /** setBreakpoints arguments: one breakpoint on {@code at}, the first line holding its text, in the workspace's copy. */
    public static ObjectNode breakpoint(Path ws, Line at) throws IOException {
        Path main = ws.resolve(at.file());
        List<String> lines = Files.readAllLines(main);
        int line = 0;
        for (int i = 0; i < lines.size() && line == 0; i++) {
            line = lines.get(i).contains(at.text()) ? i + 1 : 0;
        }
        assertTrue(line > 0, at.text() + " in " + main);
        ObjectNode args = DapClient.arguments();
        args.set("source", DapClient.arguments().put("path", main.toString()));
        args.putArray("breakpoints").addObject().put("line", line);
        return args;
    }

    /**
     * The session VS Code opens with {@code configuration}: attach, a breakpoint in the
     * workspace's file that must bind, configurationDone, a pause, and the main goroutine's frames,
     * which must name the workspace's file. The breakpoint is cleared before the session ends.
     */
    public static void bindsAndShowsWorkspacePaths(DlvDap dap, ObjectNode configuration, Path ws) throws Exception {
        bindsAndShowsWorkspacePaths(dap, configuration, ws, TARGET_NEVER_RUN);
    }

    /** As above, with the breakpoint on {@code at}, in the file whose frames are looked for. */
    public static void bindsAndShowsWorkspacePaths(DlvDap dap, ObjectNode configuration, Path ws, Line at) throws Exception {
        dap.initializeAndAttach(configuration);
        JsonNode set = dap.request("setBreakpoints", breakpoint(ws, at));
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
        assertTrue(paths.contains(ws.resolve(at.file()).toString()), "frames in the workspace's files: " + paths);
        dap.request("setBreakpoints", DapClient.arguments().set("source", DapClient.arguments().put("path",
                ws.resolve(at.file()).toString())));
    }
}
