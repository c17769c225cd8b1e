package dev.attachproof.diagnose;

import dev.attachproof.buildinfo.GoBuildInfo;
import dev.attachproof.procfs.ProcFs;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

/**
 * A container's processes found in a /proc tree as a hostPID agent sees it (host pids, the
 * runtime's shim outside every container), and the one chosen of them.
 */
class ContainerProcessesTest {
    /** Two containers whose ids share their first 12 digits, and two more. */
    static final String A = "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb";
    static final String A2 = "ca978112ca1b" + "9d2f" + A.substring(16);
    static final String C = "3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d";
    static final String D = "2e7d2c03a9507ae265ecf5b5356885a53393a2029d241394997265a1a25aefc6";

    @TempDir
    static Path root;
    static final Map<Integer, BinaryFacts> BINARIES = new HashMap<>();

    @BeforeAll
    static void tree() throws IOException {
        process(1, 0, 10, "/sbin/init", "0::/init.scope", Kind.NOT_GO);
        process(100, 1, 400, "/usr/bin/containerd-shim-runc-v2", "0::/system.slice/containerd.service", Kind.GO);
        // A: a shell as init (not Go), two Go programs under it; the younger started first.
        process(200, 100, 500, "/bin/sh", "0::/kubepods/besteffort/podx/" + A, Kind.NOT_GO);
        process(201, 200, 510, "/app/server", "0::/kubepods/besteffort/podx/" + A, Kind.GO);
        process(202, 200, 505, "/app/worker", "0::/kubepods/besteffort/podx/" + A, Kind.GO);
        // A2: same first 12 digits as A.
        process(250, 100, 520, "/app/a2", "0::/kubepods/besteffort/podx/" + A2, Kind.GO);
        // C: a Go init with a Go child, and a shell entered later by `kubectl exec` (its parent, the shim, is outside too).
        process(300, 100, 600, "/srv/api", "0::/kubepods.slice/cri-containerd-" + C + ".scope", Kind.GO);
        process(301, 300, 601, "/srv/helper", "0::/kubepods.slice/cri-containerd-" + C + ".scope", Kind.GO);
        process(310, 100, 900, "/bin/bash", "0::/kubepods.slice/cri-containerd-" + C + ".scope", Kind.NOT_GO);
        // D: no Go program; one executable hidden from us.
        process(400, 100, 700, "/usr/sbin/nginx", "4:memory:/docker/" + D + "\n1:name=systemd:/docker/" + D + "\n", Kind.NOT_GO);
        process(401, 400, 701, "/usr/sbin/nginx", "4:memory:/docker/" + D + "\n1:name=systemd:/docker/" + D + "\n", Kind.UNREADABLE);
    }

    enum Kind { GO, NOT_GO, UNREADABLE }

    static void process(int pid, int ppid, long start, String exe, String cgroup, Kind kind) throws IOException {
        Path dir = Files.createDirectories(root.resolve("proc/" + pid));
        Files.writeString(dir.resolve("cgroup"), cgroup.endsWith("\n") ? cgroup : cgroup + "\n");
        String comm = exe.substring(exe.lastIndexOf('/') + 1);
        Files.writeString(dir.resolve("stat"), pid + " (" + comm + ") S " + ppid
                + " 1 1 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 " + start + " 0 0\n");
        Files.createSymbolicLink(dir.resolve("exe"), Path.of(exe));
        BINARIES.put(pid, switch (kind) {
            case GO -> new BinaryFacts(exe, null, ExePath.UNKNOWN, "x86_64", 2,
                    Optional.of(new GoBuildInfo("go1.22.0", "example.com" + exe, "", List.of(), Map.of())),
                    false, 0, false, Map.of(), 0, BinaryFacts.Format.INTACT);
            case NOT_GO -> BinaryFacts.unread(exe, ExePath.UNKNOWN, BinaryFacts.Format.INTACT);
            case UNREADABLE -> BinaryFacts.unreadable(exe, "EACCES");
        });
    }

    static ContainerProcesses.Resolution find(String prefix) {
        return new ContainerProcesses(ProcFs.at(root), BINARIES::get).find(prefix);
    }

    @Test
    void aGoInitIsChosenOverItsChildrenAndAnExecdShell() {
        var found = assertInstanceOf(ContainerProcesses.Resolution.Found.class, find(C));
        assertEquals(C, found.id());
        assertEquals(List.of(300, 301, 310), found.members().stream().map(ContainerProcesses.Member::pid).toList());
        assertEquals(new ContainerTarget(C, 300, "/srv/api", ContainerTarget.Chosen.INIT, 3, 2),
                ContainerProcesses.choose(found.id(), found.members()).orElseThrow());
    }

    @Test
    void aShellInitGivesWayToTheOldestGoProcess() {
        var found = assertInstanceOf(ContainerProcesses.Resolution.Found.class, find(A.substring(0, 13)));
        assertEquals(A, found.id());
        assertEquals(new ContainerTarget(A, 202, "/app/worker", ContainerTarget.Chosen.OLDEST_GO, 3, 2),
                ContainerProcesses.choose(found.id(), found.members()).orElseThrow());
        assertEquals("container ca978112ca1b: pid 202 (/app/worker), its oldest Go process (its init process is not Go); "
                + "3 processes, 2 Go programs", ContainerProcesses.choose(found.id(), found.members()).orElseThrow().describe());
    }

    @Test
    void aPrefixOfTwoContainersIsAmbiguous() {
        assertEquals(new ContainerProcesses.Resolution.Ambiguous(List.of(A2, A)), find(A.substring(0, 12)));
        var a2 = assertInstanceOf(ContainerProcesses.Resolution.Found.class, find(A2.substring(0, 14)));
        assertEquals(new ContainerTarget(A2, 250, "/app/a2", ContainerTarget.Chosen.INIT, 1, 1),
                ContainerProcesses.choose(a2.id(), a2.members()).orElseThrow());
    }

    @Test
    void anIdNoVisibleProcessHasIsNotFound() {
        assertEquals(new ContainerProcesses.Resolution.NotFound(),
                find("18ac3e7343f016890c510e93f935261169d9e3f565436429830faf0934f4f8e4"));
        // A prefix must start the id: the digits in its middle do not match.
        assertEquals(new ContainerProcesses.Resolution.NotFound(), find(C.substring(1, 14)));
    }

    @Test
    void aContainerWithoutGoHasNoChoice() {
        var found = assertInstanceOf(ContainerProcesses.Resolution.Found.class, find(D));
        assertEquals(List.of(ContainerProcesses.Kind.NOT_GO, ContainerProcesses.Kind.UNREADABLE),
                found.members().stream().map(ContainerProcesses.Member::kind).toList());
        assertEquals(Optional.empty(), ContainerProcesses.choose(found.id(), found.members()));
    }
}
