package dev.attachproof.host;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Real programs (sh, head, sleep): found as a shell finds them, run within a bound, their output read while they run. */
class ProgramsTest {
    @TempDir
    Path temp;

    @Test
    void onPathTakesTheFirstExecutableFileAndPassesOverTheRest() throws IOException {
        Path a = Files.createDirectories(temp.resolve("a"));
        Path b = Files.createDirectories(temp.resolve("b"));
        Path c = Files.createDirectories(temp.resolve("c"));
        Files.createDirectories(a.resolve("tool"));                                   // a directory of that name
        Files.writeString(b.resolve("tool"), "#!/bin/sh\n");                           // not executable
        Path tool = Files.writeString(c.resolve("tool"), "#!/bin/sh\n");
        Files.setPosixFilePermissions(tool, PosixFilePermissions.fromString("rwxr-xr-x"));
        assertEquals(tool, Programs.onPath("tool", "::" + a + ":" + b + ":" + c));
        assertNull(Programs.onPath("tool", a + ":" + b));
    }

    @Test
    void theOutputAndExitStatusOfAProgram() throws Exception {
        Programs.Ran r = Programs.run(Duration.ofSeconds(10), false, List.of("/bin/sh", "-c", "echo out; echo err >&2; exit 3"));
        assertEquals(new Programs.Ran(3, "out\n"), r);
        assertEquals("out\nerr\n", Programs.run(Duration.ofSeconds(10), true, List.of("/bin/sh", "-c", "echo out; echo err >&2")).output());
    }

    /** More than a pipe holds (64 KiB): read while the program runs, it finishes instead of waiting on us. */
    @Test
    void aLongOutputDoesNotStallTheProgram() throws Exception {
        Programs.Ran r = Programs.run(Duration.ofSeconds(10), "/bin/sh", "-c", "head -c 1000000 /dev/zero | tr '\\0' x");
        assertEquals(1_000_000, r.output().length());
        assertTrue(r.ok());
    }

    @Test
    void aProgramThatHangsOrCannotRunIsNotRunInOneLine() {
        Programs.NotRun hung = assertThrows(Programs.NotRun.class, () -> Programs.run(Duration.ofMillis(300), "sleep", "30"));
        assertEquals("`sleep 30` did not answer within 300 ms", hung.getMessage());
        Programs.NotRun missing = assertThrows(Programs.NotRun.class, () -> Programs.run(Duration.ofSeconds(1), temp.resolve("nothing").toString()));
        assertTrue(missing.getMessage().startsWith("cannot run " + temp.resolve("nothing") + ": "), missing.getMessage());
    }
}
