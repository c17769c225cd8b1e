package dev.attachproof.vscode;

import dev.attachproof.procfs.CgroupFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Where a target runs, from recorded cgroup lines and a kubelet's log links; and the command that starts Delve beside it. */
class TargetPlaceTest {
    private static final String ID = "4f2c3a1b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a";

    @TempDir
    Path temp;

    @Test
    void theRuntimeIsNamedByTheCgroupPath() {
        assertEquals("kubernetes", TargetPlace.runtime(CgroupFile.parse(
                "0::/kubepods/besteffort/pod1c2d/" + ID + "\n")));
        assertEquals("docker", TargetPlace.runtime(CgroupFile.parse("0::/system.slice/docker-" + ID + ".scope\n")));
        assertEquals("podman", TargetPlace.runtime(CgroupFile.parse("0::/machine.slice/libpod-" + ID + ".scope/container\n")));
        assertEquals("container", TargetPlace.runtime(CgroupFile.parse("0::/lxc.payload.c1/" + ID + "\n")));
    }

    @Test
    void aKubeletsLogLinkNamesPodNamespaceAndContainer() throws IOException {
        Path dir = temp.resolve("var/log/containers");
        Files.createDirectories(dir);
        Files.createFile(dir.resolve("other-7d9_default_app-" + "0".repeat(64) + ".log"));
        Files.createFile(dir.resolve("shop-api-7d9f8-x2x4q_prod_api-" + ID + ".log"));
        assertEquals(Optional.of(new TargetPlace.KubePod("prod", "shop-api-7d9f8-x2x4q", "api")), TargetPlace.fromLogLinks(dir, ID));
        assertEquals(Optional.empty(), TargetPlace.fromLogLinks(temp.resolve("absent"), ID));
    }

    @Test
    void delveBesideADockerContainerRunsTheMountedDlvOnTheTargetsImage() {
        TargetPlace p = new TargetPlace(4242, 1, false, ID, "docker", null);
        DelveBeside.Start s = DelveBeside.of(p, 2345, "/home/u/go/bin/dlv", true, "shop/api:1.4");
        assertEquals(List.of("docker run -d --rm --name attachproof-dlv-4f2c3a1b9d8e --pid=container:" + ID
                + " --network=host --user 0:0 --cap-add=SYS_PTRACE -v /home/u/go/bin/dlv:/dlv:ro --entrypoint /dlv shop/api:1.4"
                + " attach 1 --headless --listen=127.0.0.1:2345 --api-version=2 --accept-multiclient"), s.commands());
        DelveBeside.Start dynamic = DelveBeside.of(p, 2345, "/usr/bin/dlv", false, null);
        assertTrue(dynamic.commands().getFirst().contains(" IMAGE attach 1 "), dynamic.commands().toString());
        assertTrue(dynamic.notes().stream().anyMatch(n -> n.startsWith("/usr/bin/dlv is dynamically linked")), dynamic.notes().toString());
    }

    @Test
    void delveBesideAPodIsAnEphemeralContainerAndAPortForward() {
        TargetPlace p = new TargetPlace(4242, 7, false, ID, "kubernetes", new TargetPlace.KubePod("prod", "shop-api-7d9f8-x2x4q", null));
        DelveBeside.Start s = DelveBeside.of(p, 4000, null, false, null);
        assertEquals(List.of("kubectl debug -n prod shop-api-7d9f8-x2x4q --profile=general --target=CONTAINER --image=DLV_IMAGE -- dlv attach 7"
                        + " --headless --listen=:4000 --api-version=2 --accept-multiclient",
                "kubectl port-forward -n prod pod/shop-api-7d9f8-x2x4q 4000:4000"), s.commands());
        assertTrue(s.notes().stream().anyMatch(n -> n.startsWith("CONTAINER: the name of the pod's container whose process is pid 7")),
                s.notes().toString());
    }
}
