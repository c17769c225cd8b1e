package dev.attachproof.ptrace;

import dev.attachproof.testing.AgentCli;
import dev.attachproof.testing.FixtureProcess;
import dev.attachproof.testing.GoFixture;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An agent that dies while it holds every thread of a target stopped must not leave it stopped.
 * On SIGTERM the shutdown hook detaches through the tracer thread; on SIGKILL nothing of ours
 * runs, and the kernel detaches the seized tracee as its tracer exits (PTRACE_SEIZE sent no
 * SIGSTOP that could linger). The kernel would detach on SIGTERM too, so these tests show the
 * outcome users care about, not which of the two did it.
 */
class AgentDeathTest {

    @Test
    void sigtermLeavesTheTargetRunning() throws Exception {
        holdThenKill(false);
    }

    @Test
    void sigkillLeavesTheTargetRunning() throws Exception {
        holdThenKill(true);
    }

    private static void holdThenKill(boolean forcibly) throws Exception {
        try (FixtureProcess t = FixtureProcess.start(GoFixture.build("target"))) {
            List<String> cmd = new ArrayList<>(AgentCli.javaCommand("dev.attachproof.testing.HoldAttach"));
            cmd.add(Integer.toString(t.pid()));
            Process agent = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            try {
                String line = new BufferedReader(new InputStreamReader(agent.getInputStream(), StandardCharsets.UTF_8)).readLine();
                assertEquals("HELD", line);
                String status = Files.readString(Path.of("/proc/" + t.pid() + "/status"));
                assertTrue(status.contains("State:\tt"), "stopped while held:\n" + status);
                if (forcibly) {
                    agent.destroyForcibly();
                } else {
                    agent.destroy();
                }
                assertTrue(agent.waitFor(10, TimeUnit.SECONDS), "the agent exits");
                t.assertRunningUntraced();
            } finally {
                agent.destroyForcibly();
            }
        }
    }
}
