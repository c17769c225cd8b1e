package dev.attachproof.cli;

import dev.attachproof.testing.AgentCli;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad input gets exit 2 and one clear line: never a stack trace, never a hang. */
class BadInputTest {

    @Test
    void aPidThatDoesNotExist() {
        assertOneLine(AgentCli.run("doctor", "4194304"), "no process with pid 4194304 is visible here");
    }

    @Test
    void aPidThatIsNotANumber() {
        assertOneLine(AgentCli.run("doctor", "nginx"), "'nginx' is not a pid");
    }

    @Test
    void aNegativePid() {
        assertOneLine(AgentCli.run("doctor", "--", "-5"), "'-5' is not a pid");
    }

    @Test
    void aProcessThatIsNotGo() throws Exception {
        Process sleeper = new ProcessBuilder("/bin/sh", "-c", "exec 3<&0; sleep 60 <&3 & echo $!; wait").start();
        try {
            long pid = Long.parseLong(new java.io.BufferedReader(new java.io.InputStreamReader(sleeper.getInputStream())).readLine().strip());
            assertOneLine(AgentCli.run("doctor", Long.toString(pid)), "is not a Go program");
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
        } finally {
            sleeper.getOutputStream().close();
            sleeper.waitFor(5, TimeUnit.SECONDS);
            sleeper.destroyForcibly();
        }
    }

    @Test
    void anUnknownOption() {
        AgentCli.Result r = AgentCli.run("doctor", "--frobnicate");
        assertEquals(2, r.exit());
        assertTrue(r.stderr().contains("Unknown option: '--frobnicate'"), r.stderr());
        assertFalse(r.stderr().contains("\tat "), r.stderr());
    }

    @Test
    void anUnknownSeccompSyscall() {
        assertOneLine(AgentCli.run("restricted", "--seccomp-deny", "openat", "--", "doctor"), "unknown syscall 'openat'");
    }

    private static void assertOneLine(AgentCli.Result r, String expected) {
        assertEquals(2, r.exit(), "exit code; stderr: " + r.stderr());
        assertEquals("", r.stdout());
        String err = r.stderr().strip();
        assertEquals(1, err.lines().count(), "one line: " + err);
        assertTrue(err.startsWith("attachproof: ") && err.contains(expected), err);
        assertFalse(err.contains("Exception"), err);
    }
}
