package dev.attachproof.cli;

import dev.attachproof.testing.AgentCli;
import dev.attachproof.testing.FixtureProcess;
import dev.attachproof.testing.GoFixture;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * `attachproof goroutines PID | head`: the reader goes after a few bytes, and the command ends
 * quietly with 0, as any Unix filter's producer does. The write's errno says the reader has gone
 * (EPIPE), not a message in whatever language the C library's locale would word it.
 */
class PipedOutputTest {
    @Test
    void aReaderThatGoesEarlyEndsTheDumpQuietly() throws Exception {
        // 20,000 more goroutines: a dump far larger than a pipe's 64 KB, so the write meets the gone reader.
        try (FixtureProcess t = FixtureProcess.start(GoFixture.build("stacks"), "-crowd", "20000")) {
            List<String> cmd = new ArrayList<>(List.of("bash", "-c",
                    "\"$@\" 2>/tmp/attachproof-piped.err | head -c 100 >/dev/null; echo \"${PIPESTATUS[0]}\"; cat /tmp/attachproof-piped.err", "_"));
            cmd.addAll(AgentCli.javaCommand("dev.attachproof.cli.Main"));
            cmd.addAll(List.of("goroutines", Integer.toString(t.pid())));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            assertEquals("0", out.lines().findFirst().orElse(""), out);
            assertFalse(out.contains("Exception") || out.contains("pipe") || out.contains("error"), out);
            t.assertRunningUntraced();
        }
    }
}
