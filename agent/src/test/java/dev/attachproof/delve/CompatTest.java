package dev.attachproof.delve;

import dev.attachproof.testing.AgentCli;
import dev.attachproof.testing.FixtureProcess;
import dev.attachproof.testing.GoFixture;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Delve's supported Go ranges, and the verdict checked against what a real Delve prints. */
class CompatTest {
    private static final DelveTable TABLE = DelveTable.load();
    private static final Path DLV = Path.of("/usr/bin/dlv");

    @Test
    void theTableHoldsEveryReleaseFrom17WithItsSourceCommit() {
        assertEquals("v1.7.0", TABLE.releases().getFirst().tag());
        assertTrue(TABLE.releases().size() >= 30, "releases: " + TABLE.releases().size());
        DelveRelease r = TABLE.release("1.20.2").orElseThrow();
        assertEquals("1.18", r.min());
        assertEquals("1.20", r.max());
        assertEquals(40, r.commit().length());
        // Delve 1.25.0 kept 1.24 as its maximum: the table says what the source said, not a pattern.
        assertEquals("1.24", TABLE.release("v1.25.0").orElseThrow().max());
    }

    @Test
    void verdictsAndMessages() {
        DelveRelease r = TABLE.release("1.20.2").orElseThrow();
        GoVersion go119 = GoVersion.parse("go1.19.8").orElseThrow();
        GoVersion go126 = GoVersion.parse("go1.26.8").orElseThrow();
        GoVersion go117 = GoVersion.parse("go1.17").orElseThrow();
        assertTrue(r.supports(go119));
        assertNull(r.errorFor(go119));
        assertFalse(r.supports(go126));
        assertEquals("Version of Delve is too old for Go version 1.26.8 (maximum supported version 1.20, "
                + "suppress this error with --check-go-version=false)", r.errorFor(go126));
        assertTrue(r.errorFor(go117).startsWith("Go version 1.17.0 is too old for this version of Delve (minimum supported version 1.18"));
        assertTrue(TABLE.supporting(go126).stream().allMatch(x -> x.supports(go126)));
        assertTrue(GoVersion.parse("devel go1.24-abcdef Tue Jan 1").isEmpty());
        assertEquals(22, GoVersion.parse("go1.22rc1").orElseThrow().minor());
    }

    @Test
    void thePredictedErrorIsWhatTheRealDelvePrints() throws Exception {
        assumeTrue(Files.isExecutable(DLV), "Debian's delve is not installed");
        Path binary = GoFixture.build("target");   // built by the go on PATH, newer than Delve 1.20
        DelveBinary.Result delve = DelveBinary.identify(DLV);
        Compat c = Compat.evaluate(goVersionOf(binary), true, dwarfVersionOf(binary), delve, TABLE, null);
        assumeTrue(Boolean.FALSE.equals(c.supported()), "this machine's go is supported by its dlv: nothing to compare");
        Process p = new ProcessBuilder(DLV.toString(), "exec", binary.toString(), "--allow-non-terminal-interactive=true")
                .redirectErrorStream(true).start();
        p.getOutputStream().close();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "dlv exec ends by itself on an unsupported Go");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(out.contains(c.delveError()), "dlv printed:\n" + out + "\nwe predicted:\n" + c.delveError());
    }

    @Test
    void theCliAnswersWithExitCodesAndJson() {
        assumeTrue(Files.isExecutable(DLV), "Debian's delve is not installed");
        Path binary = GoFixture.build("target");
        AgentCli.Result r = AgentCli.run("compat", binary.toString(), "--dlv", DLV.toString(), "--json");
        assertTrue(r.stdout().contains("\"schema\": \"attachproof.compat/v1\""), r.stdout());
        assertTrue(r.stdout().contains("\"delveVersion\": \"1.20.2\""), r.stdout());
        assertEquals(r.stdout().contains("\"supported\": true") ? 0 : 1, r.exit(), r.stderr());
        AgentCli.Result bad = AgentCli.run("compat", "/etc/hostname");
        assertEquals(2, bad.exit());
        assertEquals(1, bad.stderr().strip().lines().count(), bad.stderr());
    }

    /**
     * A binary without DWARF: Debian's Go 1.19, which Delve 1.20 supports by version, stripped.
     * The real Delve refuses it on launch and on attach alike; compat must say so, with the
     * rebuild as the remedy, not a Delve release to install (it would refuse it the same way).
     */
    @Test
    void aBinaryWithoutDwarfIsDebuggableByNoDelve() throws Exception {
        assumeTrue(Files.isExecutable(DLV), "Debian's delve is not installed");
        Path binary = GoFixture.build("target", GoFixture.DEBIAN_GO_1_19, true);
        AgentCli.Result r = AgentCli.run("compat", binary.toString(), "--dlv", DLV.toString(), "--json");
        assertEquals(1, r.exit(), r.stdout() + r.stderr());
        var doc = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.stdout());
        assertFalse(doc.get("supported").asBoolean(true), r.stdout());
        assertFalse(doc.get("debugInfo").asBoolean(true), r.stdout());
        assertEquals("1.18", doc.get("delveRange").get("min").asText(), "the version range still holds: " + r.stdout());
        String remedy = doc.get("remedy").asText();
        assertTrue(remedy.contains("-s -w") && !remedy.contains("go install"), remedy);
        String predicted = doc.get("delveError").asText();
        String launched = run(DLV.toString(), "exec", binary.toString(), "--allow-non-terminal-interactive=true");
        assertTrue(launched.contains(predicted), "dlv exec printed:\n" + launched + "\nwe predicted:\n" + predicted);
        try (FixtureProcess t = FixtureProcess.start(binary)) {
            String attached = run(DLV.toString(), "attach", Integer.toString(t.pid()), "--allow-non-terminal-interactive=true");
            assertTrue(attached.contains(predicted), "dlv attach printed:\n" + attached + "\nwe predicted:\n" + predicted);
            t.assertRunningUntraced();
        }
        AgentCli.Result text = AgentCli.run("compat", binary.toString(), "--dlv", DLV.toString());
        assertTrue(text.stdout().contains("NOT debuggable by any Delve (no DWARF)"), text.stdout());
    }

    /** A dlv command's output; it must end by itself. */
    private static String run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().close();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "ends by itself: " + String.join(" ", command));
        return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }

    @Test
    void doctorWithDlvWarnsWhenDelveIsTooOldForTheTarget() throws Exception {
        assumeTrue(Files.isExecutable(DLV), "Debian's delve is not installed");
        try (FixtureProcess t = FixtureProcess.start(GoFixture.build("target"))) {
            Compat c = Compat.evaluate(t.goVersion(), true, dwarfVersionOf(Path.of("/proc/" + t.pid() + "/exe")), DelveBinary.identify(DLV), TABLE, null);
            assumeTrue(Boolean.FALSE.equals(c.supported()), "this machine's go is supported by its dlv");
            AgentCli.Result r = AgentCli.run("doctor", Integer.toString(t.pid()), "--dlv", DLV.toString(), "--json");
            assertEquals(0, r.exit(), "an unsupported Delve does not make the target unattachable: " + r.stderr());
            com.fasterxml.jackson.databind.JsonNode check = null;
            for (var node : new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.stdout()).get("checks")) {
                if (node.get("id").asText().equals("delve.compat")) {
                    check = node;
                }
            }
            assertEquals("warn", check.get("status").asText(), check.toString());
            assertEquals(c.delveError(), check.get("evidence").get("delveError").asText());
            assertTrue(check.get("remedy").asText().contains("go install github.com/go-delve/delve/cmd/dlv@"), check.toString());
            t.assertRunningUntraced();
        }
    }

    /**
     * Without --dlv, doctor and compat find the Delve VS Code would run and say where: Debian's on
     * PATH in a home with no VS Code settings; a VS Code setting's before it; and when there is
     * none, doctor skips delve.compat and lists where it looked.
     */
    @Test
    void withoutDlvTheDelveVsCodeWouldRunIsFoundAndJudged(@TempDir Path home) throws Exception {
        assumeTrue(Files.isExecutable(DLV), "Debian's delve is not installed");
        Map<String, String> env = new HashMap<>();
        env.put("HOME", home.toString());
        env.put("PATH", "/usr/bin");
        env.put("GOPATH", null);
        env.put("GOBIN", null);
        Path binary = GoFixture.build("target");
        try (FixtureProcess t = FixtureProcess.start(binary)) {
            Compat c = Compat.evaluate(t.goVersion(), true, dwarfVersionOf(binary), DelveBinary.identify(DLV), TABLE, null);
            JsonNode check = delveCompat(AgentCli.runWithEnvironment(env, "doctor", Integer.toString(t.pid()), "--json", "--no-proof"));
            assertEquals(DLV.toString(), check.get("evidence").get("dlv").asText(), check.toString());
            assertEquals("PATH", check.get("evidence").get("foundIn").asText());
            assertEquals("1.20.2", check.get("evidence").get("delveVersion").asText());
            assertEquals(Boolean.TRUE.equals(c.supported()) ? "pass" : "warn", check.get("status").asText(), check.toString());
            assertEquals(String.valueOf(c.delveError()), check.get("evidence").path("delveError").asText("null"));

            // A VS Code setting (JSON with comments) names another dlv: it comes first.
            Path alternate = Files.createDirectories(home.resolve("tools")).resolve("dlv");
            Files.createSymbolicLink(alternate, DLV);
            Files.createDirectories(home.resolve(".config/Code/User"));
            Files.writeString(home.resolve(".config/Code/User/settings.json"),
                    "{\n  // Delve from tools\n  \"go.alternateTools\": {\"dlv\": \"~/tools/dlv\",},\n}\n");
            check = delveCompat(AgentCli.runWithEnvironment(env, "doctor", Integer.toString(t.pid()), "--json", "--no-proof"));
            assertEquals(alternate.toString(), check.get("evidence").get("dlv").asText(), check.toString());
            assertEquals("vscode-settings (~/.config/Code/User/settings.json go.alternateTools.dlv)", check.get("evidence").get("foundIn").asText());

            Path emptyDir = Files.createDirectories(home.resolve("empty-path"));
            Files.delete(alternate);
            env.put("PATH", emptyDir.toString());
            check = delveCompat(AgentCli.runWithEnvironment(env, "doctor", Integer.toString(t.pid()), "--json", "--no-proof"));
            assertEquals("skip", check.get("status").asText(), check.toString());
            assertTrue(check.get("summary").asText().contains("~/go/bin: " + home.resolve("go/bin/dlv") + " (missing)"), check.toString());
            assertTrue(check.get("summary").asText().contains("PATH: no dlv"), check.toString());
        }
        env.put("PATH", "/usr/bin");
        AgentCli.Result r = AgentCli.runWithEnvironment(env, "compat", binary.toString(), "--json");
        JsonNode doc = new ObjectMapper().readTree(r.stdout());
        assertEquals(DLV.toString(), doc.get("dlv").asText(), r.stdout() + r.stderr());
        assertEquals("PATH", doc.get("foundIn").asText());
        assertEquals("1.20.2", doc.get("delveVersion").asText());
        AgentCli.Result bad = AgentCli.runWithEnvironment(env, "compat", binary.toString(), "--workspace", home.resolve("nowhere").toString());
        assertEquals(2, bad.exit());
        assertEquals(1, bad.stderr().strip().lines().count(), bad.stderr());
    }

    private static JsonNode delveCompat(AgentCli.Result doctor) throws Exception {
        for (JsonNode node : new ObjectMapper().readTree(doctor.stdout()).get("checks")) {
            if (node.get("id").asText().equals("delve.compat")) {
                return node;
            }
        }
        throw new AssertionError("no delve.compat in:\n" + doctor.stdout() + doctor.stderr());
    }

    private static int dwarfVersionOf(Path binary) throws Exception {
        return dev.attachproof.dwarf.Dwarf.version(dev.attachproof.elf.ElfFile.open(binary));
    }

    private static String goVersionOf(Path binary) throws Exception {
        return dev.attachproof.buildinfo.GoBuildInfo.read(dev.attachproof.elf.ElfFile.open(binary)).orElseThrow().goVersion();
    }

}
