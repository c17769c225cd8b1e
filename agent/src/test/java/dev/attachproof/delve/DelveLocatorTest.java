package dev.attachproof.delve;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Where the Delve VS Code would run is looked for, in which order, on a made-up home directory. */
class DelveLocatorTest {
    @TempDir
    Path root;
    private Path home;
    private Path pathDir;
    private final Map<String, String> env = new HashMap<>();
    private Function<Path, Optional<String>> goEnv = go -> {
        throw new AssertionError("go env GOPATH asked, but there is no go on PATH");
    };

    @BeforeEach
    void home() throws IOException {
        home = Files.createDirectories(root.resolve("home"));
        pathDir = Files.createDirectories(root.resolve("path-bin"));
        env.put("PATH", pathDir.toString());
    }

    private DelveLocator.Search locate(Path workspace) {
        return new DelveLocator(new DelveLocator.Environment(home, env, goEnv)).locate(workspace);
    }

    private static Path executable(Path p) throws IOException {
        Files.createDirectories(p.getParent());
        Files.writeString(p, "#!/bin/sh\n");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        return p;
    }

    private void settings(Path file, String jsonc) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, jsonc);
    }

    private Path userSettings() {
        return home.resolve(".config/Code/User/settings.json");
    }

    @Test
    void eachSourceInTurnWinsOverTheOnesAfterIt() throws IOException {
        Path alternate = executable(root.resolve("alt/dlv"));
        Path toolsGopath = executable(root.resolve("tools/bin/dlv"));
        Path gobin = executable(root.resolve("gobin/dlv"));
        Path gopath = executable(root.resolve("gopath/bin/dlv"));
        Path homeGo = executable(home.resolve("go/bin/dlv"));
        Path onPath = executable(pathDir.resolve("dlv"));
        settings(userSettings(), "{\"go.alternateTools\": {\"dlv\": \"" + alternate + "\"}, \"go.toolsGopath\": \"" + root.resolve("tools") + "\"}");
        env.put("GOBIN", root.resolve("gobin").toString());
        env.put("GOPATH", root.resolve("gopath").toString());
        List<Path> order = List.of(alternate, toolsGopath, gobin, gopath, homeGo, onPath);
        List<String> sources = List.of("vscode-settings (~/.config/Code/User/settings.json go.alternateTools.dlv)",
                "vscode-settings (~/.config/Code/User/settings.json go.toolsGopath)", "GOBIN", "GOPATH/bin", "~/go/bin", "PATH");
        for (int i = 0; i < order.size(); i++) {
            DelveLocator.Search s = locate(null);
            assertEquals(order.get(i), s.found().path(), s.looked().toString());
            assertEquals(sources.get(i), s.found().foundIn());
            Files.delete(order.get(i));
            // The one just removed is named, with why it was passed over.
            String passedOver = i < order.size() - 1 ? sources.get(i) + ": " + order.get(i) + " (missing)" : "PATH: no dlv";
            assertTrue(locate(null).looked().contains(passedOver), passedOver + " in " + locate(null).looked());
        }
        DelveLocator.Search none = locate(null);
        assertNull(none.found());
        for (String source : sources.subList(0, 5)) {
            assertTrue(none.looked().stream().anyMatch(l -> l.startsWith(source + ": ") && l.endsWith("(missing)")), source + " in " + none.looked());
        }
        assertTrue(none.looked().contains("PATH: no dlv"), none.looked().toString());
    }

    @Test
    void settingsWithCommentsAndTrailingCommasAreReadWithHomeAndEnvironmentExpanded() throws IOException {
        Path dlv = executable(home.resolve("tools/delve/dlv"));
        env.put("DELVE_DIR", "delve");
        settings(userSettings(), """
                // VS Code writes JSON with comments
                {
                  /* the Go extension */
                  "go.alternateTools": {
                    "dlv": "~/tools/${env:DELVE_DIR}/dlv", // trailing comma next
                  },
                }
                """);
        DelveLocator.Search s = locate(null);
        assertEquals(dlv, s.found().path(), s.looked().toString());
        settings(userSettings(), "{\"go.alternateTools\": {\"dlv\": \"${userHome}/tools/delve/dlv\",},}");
        assertEquals(dlv, locate(null).found().path());
    }

    @Test
    void aBareCommandNameIsLookedUpOnPath() throws IOException {
        Path other = Files.createDirectories(root.resolve("other-bin"));
        Path dlvDap = executable(other.resolve("dlv-dap"));
        executable(pathDir.resolve("dlv"));
        env.put("PATH", pathDir + ":" + other);
        settings(userSettings(), "{\"go.alternateTools\": {\"dlv\": \"dlv-dap\"}}");
        DelveLocator.Search s = locate(null);
        assertEquals(dlvDap, s.found().path());
        assertEquals("vscode-settings (~/.config/Code/User/settings.json go.alternateTools.dlv)", s.found().foundIn());
        settings(userSettings(), "{\"go.alternateTools\": {\"dlv\": \"dlv-nowhere\"}}");
        DelveLocator.Search fallback = locate(null);
        assertEquals("PATH", fallback.found().foundIn());
        assertTrue(fallback.looked().contains("vscode-settings (~/.config/Code/User/settings.json go.alternateTools.dlv): dlv-nowhere (not on PATH)"),
                fallback.looked().toString());
    }

    @Test
    void aFileThatIsNotExecutableIsPassedOverAndSaidSo() throws IOException {
        Path gobin = root.resolve("gobin/dlv");
        Files.createDirectories(gobin.getParent());
        Files.writeString(gobin, "not a program");
        env.put("GOBIN", gobin.getParent().toString());
        Path homeGo = executable(home.resolve("go/bin/dlv"));
        DelveLocator.Search s = locate(null);
        assertEquals(homeGo, s.found().path());
        assertEquals("~/go/bin", s.found().foundIn());
        assertTrue(s.looked().contains("GOBIN: " + gobin + " (not executable)"), s.looked().toString());
    }

    @Test
    void theWorkspaceSettingsWinOverTheUsersAndResolveWorkspaceFolder() throws IOException {
        Path workspace = Files.createDirectories(root.resolve("project"));
        Path userDlv = executable(root.resolve("user/dlv"));
        Path workspaceDlv = executable(workspace.resolve("bin/dlv"));
        settings(userSettings(), "{\"go.alternateTools\": {\"dlv\": \"" + userDlv + "\"}}");
        settings(workspace.resolve(".vscode/settings.json"), "{\"go.alternateTools\": {\"dlv\": \"${workspaceFolder}/bin/dlv\"}}");
        DelveLocator.Search s = locate(workspace);
        assertEquals(workspaceDlv, s.found().path());
        assertEquals("vscode-settings (" + workspace.resolve(".vscode/settings.json") + " go.alternateTools.dlv)", s.found().foundIn());
        assertEquals(userDlv, locate(null).found().path(), "without --workspace the user's setting counts");
        // A remote session's machine settings count too, below the workspace's.
        Path machineDlv = executable(root.resolve("machine/dlv"));
        settings(home.resolve(".vscode-server/data/Machine/settings.json"), "{\"go.alternateTools\": {\"dlv\": \"" + machineDlv + "\"}}");
        assertEquals(machineDlv, locate(null).found().path());
        assertEquals(workspaceDlv, locate(workspace).found().path());
    }

    @Test
    void toolsGopathNamesItsBinDirectory() throws IOException {
        Path dlv = executable(home.resolve("vscode-tools/bin/dlv"));
        executable(pathDir.resolve("dlv"));
        settings(userSettings(), "{\"go.toolsGopath\": \"~/vscode-tools\"}");
        DelveLocator.Search s = locate(null);
        assertEquals(dlv, s.found().path());
        assertEquals("vscode-settings (~/.config/Code/User/settings.json go.toolsGopath)", s.found().foundIn());
    }

    @Test
    void gopathComesFromGoEnvWhenGoIsOnPathElseFromTheEnvironment() throws IOException {
        Path fromGoEnv = executable(root.resolve("goenv-gopath/bin/dlv"));
        Path fromVariable = executable(root.resolve("variable-gopath/bin/dlv"));
        env.put("GOPATH", root.resolve("variable-gopath").toString());
        assertEquals(fromVariable, locate(null).found().path(), "no go on PATH: $GOPATH");
        Path go = executable(pathDir.resolve("go"));
        AtomicInteger asked = new AtomicInteger();
        goEnv = g -> {
            assertEquals(go, g);
            asked.incrementAndGet();
            return Optional.of(root.resolve("goenv-gopath") + "\n");
        };
        DelveLocator.Search s = locate(null);
        assertEquals(fromGoEnv, s.found().path());
        assertEquals("GOPATH/bin", s.found().foundIn());
        assertEquals(1, asked.get());
        goEnv = g -> Optional.empty();
        assertEquals(fromVariable, locate(null).found().path(), "go env did not answer: $GOPATH");
    }

    @Test
    void aSettingsFileThatIsNotJsonIsNotedAndTheSearchGoesOn() throws IOException {
        Path onPath = executable(pathDir.resolve("dlv"));
        settings(userSettings(), "{\"go.alternateTools\": ");
        DelveLocator.Search s = locate(null);
        assertEquals(onPath, s.found().path());
        assertTrue(s.looked().stream().anyMatch(l -> l.startsWith("vscode-settings: " + userSettings() + " (not read: ")), s.looked().toString());
    }

    @Test
    void theNewestGoExtensionIsReported() throws IOException {
        assertNull(locate(null).goExtension());
        settings(home.resolve(".vscode/extensions/golang.go-0.9.0/package.json"), "{\"name\": \"go\", \"version\": \"0.9.0\"}");
        settings(home.resolve(".vscode-server/extensions/golang.go-0.42.1/package.json"), "{\"version\": \"0.42.1\"}");
        settings(home.resolve(".vscode/extensions/golang.go-0.41.4/package.json"), "{\"version\": \"0.41.4\"}");
        assertEquals("0.42.1 (~/.vscode-server/extensions/golang.go-0.42.1)", locate(null).goExtension());
        DelveLocator.Search named = new DelveLocator(new DelveLocator.Environment(home, env, goEnv)).named(Path.of("/opt/dlv"));
        assertEquals("0.42.1 (~/.vscode-server/extensions/golang.go-0.42.1)", named.goExtension(), "with --dlv too");
        assertTrue(named.named());
        assertEquals(List.of(), named.looked());
    }
}
