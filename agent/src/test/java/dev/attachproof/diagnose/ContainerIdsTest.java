package dev.attachproof.diagnose;

import dev.attachproof.procfs.CgroupFile;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Container ids in /proc/PID/cgroup as the runtimes write them, on recorded text: cgroup v1 files
 * (a line per hierarchy, many controllers), v2's one line, both drivers, and paths where an id's
 * digits appear without naming a container.
 */
class ContainerIdsTest {
    static final String ID = "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb";
    static final String OTHER = "3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d";
    static final String POD = "pod8f2c1d7e-5b3a-4c1e-9d2f-0a1b2c3d4e5f";

    /** A cgroup v1 file as Docker's cgroupfs driver leaves it: the id under /docker on every controller but rdma's. */
    @Test
    void dockerCgroupfsV1() {
        String text = """
                12:hugetlb:/docker/%1$s
                11:cpuset:/docker/%1$s
                10:memory:/docker/%1$s
                9:perf_event:/docker/%1$s
                8:net_cls,net_prio:/docker/%1$s
                7:devices:/docker/%1$s
                6:freezer:/docker/%1$s
                5:pids:/docker/%1$s
                4:blkio:/docker/%1$s
                3:cpu,cpuacct:/docker/%1$s
                2:rdma:/
                1:name=systemd:/docker/%1$s
                0::/system.slice/containerd.service
                """.formatted(ID);
        CgroupFile f = CgroupFile.parse(text);
        assertEquals(13, f.lines().size());
        assertEquals(List.of("net_cls", "net_prio"), f.lines().get(4).controllers());
        assertEquals(Set.of(ID), ContainerIds.of(f));
    }

    /** The kubelet's cgroupfs driver, v1: a besteffort and a guaranteed pod (no QoS level in the path). */
    @Test
    void kubepodsCgroupfsV1() {
        String besteffort = """
                11:memory:/kubepods/besteffort/%2$s/%1$s
                5:pids:/kubepods/besteffort/%2$s/%1$s
                3:cpu,cpuacct:/kubepods/besteffort/%2$s/%1$s
                1:name=systemd:/kubepods/besteffort/%2$s/%1$s
                """.formatted(ID, POD);
        assertEquals(Set.of(ID), ContainerIds.of(CgroupFile.parse(besteffort)));
        String guaranteed = "4:memory:/kubepods/%2$s/%1$s\n1:name=systemd:/kubepods/%2$s/%1$s\n".formatted(OTHER, POD);
        assertEquals(Set.of(OTHER), ContainerIds.of(CgroupFile.parse(guaranteed)));
    }

    /** The systemd driver, v2: containerd's, CRI-O's and Docker's scope units. */
    @Test
    void systemdScopesV2() {
        String slice = "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-" + POD.replace('-', '_') + ".slice/";
        assertEquals(Set.of(ID), ContainerIds.of(CgroupFile.parse("0::" + slice + "cri-containerd-" + ID + ".scope\n")));
        assertEquals(Set.of(ID), ContainerIds.of(CgroupFile.parse("0::" + slice + "crio-" + ID + ".scope\n")));
        assertEquals(Set.of(ID), ContainerIds.of(CgroupFile.parse("0::/system.slice/docker-" + ID + ".scope\n")));
    }

    /** The systemd driver on v1: the scope on every hierarchy, named=systemd included. */
    @Test
    void systemdScopesV1() {
        String text = """
                9:memory:/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-podx.slice/cri-containerd-%1$s.scope
                4:pids:/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-podx.slice/cri-containerd-%1$s.scope
                1:name=systemd:/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-podx.slice/cri-containerd-%1$s.scope
                """.formatted(ID);
        assertEquals(Set.of(ID), ContainerIds.of(CgroupFile.parse(text)));
    }

    /** containerd without Kubernetes' hierarchy (ctr, nerdctl in the k8s.io namespace), and kind's nested unit name. */
    @Test
    void containerdNamespaceAndNestedUnit() {
        assertEquals(Set.of(ID), ContainerIds.of(CgroupFile.parse("0::/k8s.io/" + ID + "\n")));
        assertEquals(Set.of(ID), ContainerIds.of(CgroupFile.parse(
                "0::/system.slice/containerd.service/kubepods-besteffort-podx.slice:cri-containerd:" + ID + "\n")));
    }

    /** Read from inside another container's cgroup namespace, a container beside ours shows as /../ID. */
    @Test
    void beyondOurCgroupNamespace() {
        assertEquals(Set.of(ID), ContainerIds.of(CgroupFile.parse("0::/../" + ID + "\n")));
        assertEquals(Set.of(ID), ContainerIds.of(CgroupFile.parse("0::/../docker-" + ID + ".scope\n")));
    }

    /** Docker in Docker: the inner container is the process's. A sub-cgroup under a scope still names it. */
    @Test
    void theDeepestIdIsTheProcesssContainer() {
        assertEquals(Set.of(OTHER), ContainerIds.of(CgroupFile.parse("0::/docker/" + ID + "/docker/" + OTHER + "\n")));
        assertEquals(Set.of(ID), ContainerIds.of(CgroupFile.parse("0::/system.slice/docker-" + ID + ".scope/init.scope\n")));
    }

    /** Host processes, and paths with an id's digits that do not name a container. */
    @Test
    void noContainer() {
        assertEquals(Set.of(), ContainerIds.of(CgroupFile.parse("0::/init.scope\n")));
        assertEquals(Set.of(), ContainerIds.of(CgroupFile.parse("12:memory:/\n1:name=systemd:/user.slice/user-1000.slice/session-3.scope\n0::/\n")));
        for (String path : List.of(
                "/docker/" + ID + "0",                          // 65 digits
                "/docker/" + ID.substring(1),                   // 63
                "/docker/x" + ID,                               // more than the id in the component
                "/docker/" + ID.toUpperCase(),                  // the runtimes write lowercase
                "/system.slice/docker-" + ID + ".service",      // not a scope
                "/system.slice/docker" + ID + ".scope",         // no dash before the id
                "/system.slice/-" + ID + ".scope",              // no prefix
                "/kubepods.slice/crio-conmon-" + ID + ".scope", // CRI-O's monitor, beside the container
                "/machine.slice/libpod-conmon-" + ID + ".scope",
                "/x:" + ID,                                     // two fields, not slice:prefix:id
                "/" + POD)) {
            assertEquals(Optional.empty(), ContainerIds.inPath(path), path);
        }
    }

    /** Lines that are not cgroup lines are skipped; a path may hold colons. */
    @Test
    void parsing() {
        CgroupFile f = CgroupFile.parse("garbage\n:memory:/x\n0::/a:b:" + ID + "\n");
        assertEquals(1, f.lines().size());
        assertEquals(new CgroupFile.Line(0, List.of(), "/a:b:" + ID), f.lines().getFirst());
    }
}
