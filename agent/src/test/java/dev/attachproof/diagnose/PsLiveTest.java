package dev.attachproof.diagnose;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.attachproof.testing.AgentCli;
import dev.attachproof.testing.FixtureProcess;
import dev.attachproof.testing.GoFixture;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code ps} on processes whose executable the kernel refuses: each is listed with the reason the
 * doctor's checks give, not a stock "run as root" said to root.
 */
class PsLiveTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Another user's target, seen without CAP_SYS_PTRACE: the uid rule refuses, and is named. */
    @Test
    void anotherUsersProcessIsExplainedByTheUidRule() throws Exception {
        assumeTrue(DoctorLiveTest.isRoot(), "needs root to run ps as another uid");
        try (FixtureProcess t = FixtureProcess.start(GoFixture.build("target"))) {
            AgentCli.Result r = AgentCli.runAs(DoctorLiveTest.asNobody(), "ps", "--json");
            assertEquals(0, r.exit(), r.stderr());
            JsonNode mine = uninspected(JSON.readTree(r.stdout()), t.pid());
            assertEquals("EACCES", mine.get("errno").asText(), mine.toString());
            assertTrue(DoctorLiveTest.texts(mine.get("causes")).contains("credentials.uid"), mine.toString());
        }
    }

    /**
     * Root with CAP_SYS_PTRACE refused a process's executable: no rule /proc shows explains it
     * (on the development machine, pid 1, refused by an LSM). Skipped where there is none.
     */
    @Test
    void aRefusalNoVisibleRuleExplainsIsSaidToBeOne() throws Exception {
        assumeTrue(DoctorLiveTest.isRoot(), "needs root: the case is a refusal that root with CAP_SYS_PTRACE meets");
        List<Integer> refused = refusedToUs();
        assumeTrue(!refused.isEmpty(), "no process here refuses its executable to root");
        AgentCli.Result r = AgentCli.run("ps", "--json");
        JsonNode doc = JSON.readTree(r.stdout());
        for (int pid : refused) {
            JsonNode p = uninspected(doc, pid);
            assertEquals(List.of(), DoctorLiveTest.texts(p.get("causes")), p.toString());
            String reason = p.get("reason").asText();
            assertTrue(reason.contains("to root with CAP_SYS_PTRACE") && reason.contains("a rule /proc does not show"), reason);
        }
        String text = AgentCli.run("ps").stdout();
        assertFalse(text.contains("run as root, or with CAP_SYS_PTRACE"), text);
        assertTrue(text.contains("a rule /proc does not show"), text);
    }

    private static JsonNode uninspected(JsonNode doc, int pid) {
        assertEquals(doc.get("uninspected").asInt(), doc.get("uninspectedProcesses").size(), doc.toString());
        for (JsonNode p : doc.get("uninspectedProcesses")) {
            if (p.get("pid").asInt() == pid) {
                return p;
            }
        }
        throw new AssertionError("pid " + pid + " is not among the uninspected: " + doc);
    }

    /** Processes with an address space whose /proc/PID/exe this (root) JVM may not read. */
    private static List<Integer> refusedToUs() throws IOException {
        List<Integer> out = new ArrayList<>();
        try (var dirs = Files.list(Path.of("/proc"))) {
            for (Path d : dirs.filter(x -> x.getFileName().toString().matches("\\d+")).toList()) {
                try {
                    if (!Files.readString(d.resolve("status")).contains("VmSize")) {
                        continue;
                    }
                    Files.readSymbolicLink(d.resolve("exe"));
                } catch (AccessDeniedException e) {
                    out.add(Integer.parseInt(d.getFileName().toString()));
                } catch (IOException e) {
                    // gone, or no executable
                }
            }
        }
        return out;
    }
}
