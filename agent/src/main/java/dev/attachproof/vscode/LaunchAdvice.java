package dev.attachproof.vscode;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.attachproof.diagnose.Diagnosis;
import dev.attachproof.diagnose.Finding;
import dev.attachproof.diagnose.Verdict;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The launch configuration that will work from here, and why: a local attach when this host may
 * attach (the doctor's proof) and shares the target's mount namespace; a remote attach to a
 * Delve started beside the target when it runs in a container (or when asked for); a local one
 * that will not work yet, with the doctor's failing checks, otherwise.
 *
 * @param pid           the target
 * @param mode          "local" or "remote", as the configuration's {@code mode}
 * @param works         whether the configuration works as printed (remote: once Delve is started as {@link #start} says)
 * @param reason        the choice in one sentence
 * @param configuration the launch.json entry, ${workspaceFolder} in its paths where they lie in the workspace
 * @param start         remote: how to start Delve beside the target; local: null
 * @param sources       the substitutePath rules and what could not be mapped
 * @param place         where the target runs
 * @param checks        the doctor's failing checks (local), and its warnings that matter to a debug session
 */
public record LaunchAdvice(int pid, String mode, boolean works, String reason, ObjectNode configuration, DelveBeside.Start start,
                           SourceMap.Result sources, TargetPlace place, List<Finding> checks) {

    public static final String LOCAL = "local";
    public static final String REMOTE = "remote";
    /** Where a remote configuration connects: the port Delve is published on, on this host's loopback. */
    public static final String REMOTE_HOST = "127.0.0.1";

    /** Local unless told otherwise or the target is in another mount namespace (a container, or we are in one). */
    public static String chooseMode(Optional<String> asked, TargetPlace place) {
        return asked.orElse(place.elsewhere() ? REMOTE : LOCAL);
    }

    /**
     * @param name      the target's command name (for the configuration's name)
     * @param diagnosis the doctor's answer, with its proof when {@code mode} is local
     * @param checks    the findings to show (failing, and the debug session's warnings)
     * @param start     remote: how Delve is started beside the target
     * @param workspace the workspace whose paths become ${workspaceFolder}
     */
    public static LaunchAdvice of(String mode, String name, Diagnosis diagnosis, List<Finding> checks, TargetPlace place,
                                  int port, DelveBeside.Start start, SourceMap.Result sources, Optional<Path> workspace) {
        int pid = diagnosis.pid();
        ObjectNode c = JsonNodeFactory.instance.objectNode();
        boolean works;
        String reason;
        if (mode.equals(LOCAL)) {
            c.put("name", "Attach to " + name + " (pid " + pid + ")");
            c.put("type", "go").put("request", "attach").put("mode", LOCAL).put("processId", pid);
            works = diagnosis.verdict() == Verdict.ATTACHABLE;
            reason = works ? "this host can attach to pid " + pid + ": the doctor's proof attached and let go"
                    + (place.elsewhere() ? " (it runs in another mount namespace: Delve reads its binary through /proc)" : "")
                    : "this host cannot attach to pid " + pid + " yet: " + (diagnosis.failing().isEmpty()
                    ? "the doctor's proof did not attach (attachproof doctor " + pid + " says what it found)"
                    : String.join("; ", diagnosis.failing().stream().map(f -> f.id() + ": " + f.summary()).toList()));
        } else {
            String where = place.containerId() == null ? "pid " + pid
                    : "pid " + pid + " (pid " + place.pidInside() + " in its " + place.runtime() + " container " + place.shortId() + ")";
            c.put("name", "Attach to " + name + " in " + (place.containerId() == null ? "pid " + pid : "container " + place.shortId())
                    + " (Delve at " + REMOTE_HOST + ":" + port + ")");
            c.put("type", "go").put("request", "attach").put("mode", REMOTE).put("debugAdapter", "dlv-dap")
                    .put("host", REMOTE_HOST).put("port", port);
            works = true;
            reason = where + (place.elsewhere() ? " runs in another mount namespace than this one" : "")
                    + ": VS Code connects to a headless Delve started beside it";
        }
        if (!sources.rules().isEmpty()) {
            ArrayNode rules = c.putArray("substitutePath");
            for (SourceMap.Rule r : sources.rules()) {
                rules.addObject().put("from", inWorkspace(r.from(), workspace)).put("to", r.to());
            }
        }
        return new LaunchAdvice(pid, mode, works, reason, c, start, sources, place, List.copyOf(checks));
    }

    /** {@code path} with the workspace's own path as ${workspaceFolder}, as launch.json spells it. */
    static String inWorkspace(String path, Optional<Path> workspace) {
        if (workspace.isEmpty()) {
            return path;
        }
        String ws = workspace.get().toString();
        if (path.equals(ws)) {
            return "${workspaceFolder}";
        }
        return path.startsWith(ws + "/") ? "${workspaceFolder}" + path.substring(ws.length()) : path;
    }
}
