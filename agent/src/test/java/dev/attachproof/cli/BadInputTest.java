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
    void aPidAndAContainerTogether() {
        assertOneLine(AgentCli.run("doctor", "1", "--container", "ca978112ca1b"), "give a PID or --container ID, not both");
        assertOneLine(AgentCli.run("goroutines", "1", "--container", "ca978112ca1b"), "give a PID or --container ID, not both");
    }

    @Test
    void aStopLimitThatIsNotOne() {
        assertOneLine(AgentCli.run("goroutines", "1", "--max-stop", "fast"), "--max-stop: not a duration: \"fast\"; give e.g. 50ms");
        assertOneLine(AgentCli.run("goroutines", "1", "--max-stop", "100ns"), "--max-stop: not a duration");
        assertOneLine(AgentCli.run("goroutines", "1", "--max-stop", "0.1ms"), "--max-stop: a stop limit of 0.1ms is too short");
        assertOneLine(AgentCli.run("goroutines", "1", "--max-stop", "5ms", "--no-stop"), "--max-stop limits a stop, and --no-stop makes none");
        assertOneLine(AgentCli.run("serve", "--max-stop", "2m"), "--max-stop: not a duration: \"2m\"");
    }

    @Test
    void goroutinesWithNeitherPidNorContainer() {
        assertOneLine(AgentCli.run("goroutines"), "give a PID or --container ID");
    }

    @Test
    void aContainerIdThatIsNotOne() {
        assertOneLine(AgentCli.run("doctor", "--container", "ca978"), "--container 'ca978' is 5 hex digits: give at least 12");
        assertOneLine(AgentCli.run("goroutines", "--container", "nginx"), "--container 'nginx' is not a container id");
    }

    /** Nothing here runs in a container with this id (the runtimes' ids are random): said, with where to run instead. */
    @Test
    void aContainerNoVisibleProcessIsIn() {
        assertOneLine(AgentCli.run("doctor", "--container", "cri-o://18ac3e7343f016890c510e93f935261169d9e3f565436429830faf0934f4f8e4"),
                "no process in this PID namespace is in container 18ac3e7343f016890c510e93f935261169d9e3f565436429830faf0934f4f8e4; "
                        + "run attachproof where it sees the container's processes (hostPID, or shareProcessNamespace)");
        assertOneLine(AgentCli.run("goroutines", "--container", "18ac3e7343f0", "--format", "json"),
                "no process in this PID namespace is in container 18ac3e7343f0");
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

    /**
     * compat reads only a regular file, and says what else it was given. Opening a FIFO waits
     * for a writer (before, compat hung here: AgentCli gives up after 60 s and fails the test),
     * /dev/zero never ends, and a sparse file can claim any size without costing any disk.
     */
    @Test
    void compatOnWhatIsNotARegularFileNeverHangs() throws Exception {
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("compat-odd");
        java.nio.file.Path fifo = dir.resolve("fifo");
        java.nio.file.Path sparse = dir.resolve("sparse");
        try {
            assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
            try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(sparse.toFile(), "rw")) {
                f.setLength(64L << 30);   // 64 GiB of holes
            }
            assertOneLine(AgentCli.run("compat", fifo.toString()), fifo + " is a FIFO, not a regular file");
            assertOneLine(AgentCli.run("compat", dir.toString()), dir + " is a directory, not a regular file");
            assertOneLine(AgentCli.run("compat", "/dev/zero"), "/dev/zero is a character device, not a regular file");
            assertOneLine(AgentCli.run("compat", sparse.toString()), "file larger than 2 GiB: 68719476736 bytes");
        } finally {
            java.nio.file.Files.deleteIfExists(fifo);
            java.nio.file.Files.deleteIfExists(sparse);
            java.nio.file.Files.deleteIfExists(dir);
        }
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
