package dev.attachproof.service;

import dev.attachproof.diagnose.FactsReader;
import dev.attachproof.procfs.ProcFs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a container id that cannot be served is told, on a recorded tree (where no executable is read, so none is Go). */
class EngineContainerTest {
    static final String A = "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb";
    static final String A2 = "ca978112ca1b9d2f" + A.substring(16);

    @TempDir
    Path root;

    private FactsReader tree() throws IOException {
        for (int pid = 10; pid < 16; pid++) {
            Path dir = Files.createDirectories(root.resolve("proc/" + pid));
            Files.writeString(dir.resolve("cgroup"), "0::/docker/" + (pid == 15 ? A2 : A) + "\n");
            Files.writeString(dir.resolve("stat"), pid + " (sh) S 1 1 1 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 " + pid + " 0 0\n");
            Files.createSymbolicLink(dir.resolve("exe"), Path.of("/bin/sh"));
        }
        return new FactsReader(ProcFs.at(root), null);
    }

    @Test
    void noGoProgramNamesAFewProcessesAndTheRemedy() throws IOException {
        TargetException e = assertThrows(TargetException.class, () -> Engine.container(tree(), A.substring(0, 13)));
        assertEquals(TargetException.Reason.UNSUITABLE, e.reason());
        assertEquals("container ca978112ca1b has no Go program among its 5 processes (10 /bin/sh (unreadable), "
                + "11 /bin/sh (unreadable), 12 /bin/sh (unreadable), 13 /bin/sh (unreadable), and 1 more): attachproof "
                + "diagnoses Go processes; name the container that runs one, or run attachproof where it may read every "
                + "executable (root with CAP_SYS_PTRACE) (`attachproof ps` lists the Go processes)", e.getMessage());
    }

    @Test
    void anAmbiguousPrefixNamesBoth() throws IOException {
        TargetException e = assertThrows(TargetException.class, () -> Engine.container(tree(), A.substring(0, 12)));
        assertEquals(TargetException.Reason.AMBIGUOUS, e.reason());
        assertTrue(e.getMessage().contains(A) && e.getMessage().contains(A2), e.getMessage());
    }

    @Test
    void anUnknownContainerSaysWhereToRun() throws IOException {
        TargetException e = assertThrows(TargetException.class, () -> Engine.container(tree(), "18ac3e7343f0"));
        assertEquals(TargetException.Reason.NOT_FOUND, e.reason());
        assertEquals("no process in this PID namespace is in container 18ac3e7343f0; run attachproof where it sees "
                + "the container's processes (hostPID, or shareProcessNamespace)", e.getMessage());
    }
}
