package dev.attachproof.matrix;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.attachproof.testing.AgentCli;
import dev.attachproof.testing.FixtureProcess;
import dev.attachproof.testing.GoFixture;
import dev.attachproof.testing.MatrixRows;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The matrix on real Go targets, run as root as the tests are: every probe restricts itself for
 * real (capset, the raw setresuid of one thread, prctl, seccomp filters, unshare), and what the
 * kernel answers is what the kernel's rules say for that restriction. This kernel has no Yama:
 * the Yama rows say so (they are tried on a Yama kernel under qemu, in it-tests).
 */
class MatrixTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aRootTargetUnderEverySetting() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "the probes drop root's privileges");
        try (FixtureProcess t = FixtureProcess.start(GoFixture.build("target"), "-goroutines", "8")) {
            Map<String, JsonNode> rows = matrix(t.pid(), 0);
            MatrixRows.assertRootTargetRows(rows);
            for (String yama : List.of("yama-1", "yama-2", "yama-3")) {
                assertEquals("skipped", rows.get(yama).get("observed").asText());
                assertFalse(rows.get(yama).get("agree").asBoolean(), "a skipped row never agrees");
                assertTrue(rows.get(yama).get("skipped").asText().contains("no Yama"), rows.get(yama).toString());
            }
            t.assertRunningUntraced();
        }
    }

    /**
     * A target of uid 65534: root without CAP_SYS_PTRACE may not attach (the ids differ), the
     * probe that takes uid 65534 may, having dropped CAP_SYS_PTRACE.
     */
    @Test
    void aNobodyTargetIsAttachableByNobody() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "the target is started as uid 65534");
        List<String> target = List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", "--",
                GoFixture.build("target").toString(), "-goroutines", "8");
        try (FixtureProcess t = FixtureProcess.start(target)) {
            Map<String, JsonNode> rows = matrix(t.pid(), 0);
            assertRow(rows, "baseline", "ok", List.of());
            assertRow(rows, "drop-cap-sys-ptrace", "EPERM", List.of("credentials.uid"));
            assertRow(rows, "drop-cap-sys-ptrace+other-uid", "ok", List.of());
            assertRow(rows, "other-uid+bounding-only", "ok", List.of());
            t.assertRunningUntraced();
        }
    }

    /** A non-dumpable target: CAP_SYS_PTRACE is what lets root in; without it, EPERM. */
    @Test
    void aNonDumpableTargetNeedsCapSysPtrace() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "the probes drop root's privileges");
        try (FixtureProcess t = FixtureProcess.start(GoFixture.build("target"), "-goroutines", "8", "-nondumpable")) {
            Map<String, JsonNode> rows = matrix(t.pid(), 0);
            assertRow(rows, "baseline", "ok", List.of());
            assertEquals("EPERM", rows.get("drop-cap-sys-ptrace").get("observed").asText());
            assertTrue(rows.get("drop-cap-sys-ptrace").get("agree").asBoolean(), rows.get("drop-cap-sys-ptrace").toString());
            t.assertRunningUntraced();
        }
    }

    /**
     * Run by an unprivileged user, the probe that must take uid 65534 cannot (setgroups needs
     * CAP_SETGID): it says so and is not counted as agreeing. The others still run.
     */
    @Test
    void aRestrictionThatCannotBeAppliedIsSkippedNeverAgreed() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "the matrix is started as uid 65534");
        List<String> nobody = List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", "--");
        List<String> target = new java.util.ArrayList<>(nobody);
        target.addAll(List.of(GoFixture.build("target").toString(), "-goroutines", "8"));
        try (FixtureProcess t = FixtureProcess.start(target)) {
            AgentCli.Result r = AgentCli.runAs(nobody, "matrix", Integer.toString(t.pid()), "--json");
            assertEquals(0, r.exit(), r.stdout() + r.stderr());
            Map<String, JsonNode> rows = new LinkedHashMap<>();
            JSON.readTree(r.stdout()).get("rows").forEach(n -> rows.put(n.get("setting").asText(), n));
            JsonNode other = rows.get("drop-cap-sys-ptrace+other-uid");
            assertEquals("skipped", other.get("observed").asText(), other.toString());
            assertFalse(other.get("agree").asBoolean());
            assertTrue(other.get("skipped").asText().contains("CAP_SETUID"), other.toString());
            assertRow(rows, "baseline", "ok", List.of());
            assertRow(rows, "seccomp-deny-ptrace", "EPERM", List.of("seccomp.ptrace"));
            t.assertRunningUntraced();
        }
    }

    @Test
    void badInputIsOneLineAndExit2() {
        AgentCli.Result r = AgentCli.run("matrix", "999999999");
        assertEquals(2, r.exit());
        assertEquals(1, r.stderr().strip().lines().count(), r.stderr());
        AgentCli.Result probe = AgentCli.run("probe", "--setting", "no-such-setting", "1");
        assertEquals(2, probe.exit());
        assertTrue(probe.stderr().contains("unknown setting"), probe.stderr());
    }

    private static Map<String, JsonNode> matrix(int pid, int expectedExit) throws Exception {
        AgentCli.Result r = AgentCli.run("matrix", Integer.toString(pid), "--json");
        assertEquals(expectedExit, r.exit(), r.stdout() + r.stderr());
        return MatrixRows.of(JSON.readTree(r.stdout()));
    }

    private static void assertRow(Map<String, JsonNode> rows, String setting, String observed, List<String> failing) {
        MatrixRows.assertRow(rows, setting, observed, failing);
    }
}
