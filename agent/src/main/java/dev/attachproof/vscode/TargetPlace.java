package dev.attachproof.vscode;

import dev.attachproof.diagnose.ContainerIds;
import dev.attachproof.procfs.CgroupFile;
import dev.attachproof.procfs.ProcFs;
import dev.attachproof.procfs.ProcStatus;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Where the target runs, seen from here: in our mount namespace (a debugger started here sees
 * its files as it does), or in a container, which one, run by what, and the pid it has in its
 * own PID namespace (what a Delve beside it must be given). For a Kubernetes container the pod,
 * namespace and container name come from the kubelet's log links ({@code
 * /var/log/containers/POD_NAMESPACE_CONTAINER-ID.log}, on the node) or from the container itself
 * (its HOSTNAME, which is the pod's name, and its service account's namespace); what is not
 * found stays null, and the command names it as a placeholder.
 *
 * @param hostPid      the target's pid here
 * @param pidInside    its pid in its own PID namespace (NSpid's last)
 * @param sameMounts   whether it shares our mount namespace
 * @param containerId  the full container id its cgroup names, or null
 * @param runtime      "docker", "kubernetes", "podman", "cri-o", "containerd" or "container"; null outside one
 * @param pod          the Kubernetes pod, or null
 */
public record TargetPlace(int hostPid, int pidInside, boolean sameMounts, String containerId, String runtime, KubePod pod) {

    /** A Kubernetes container's coordinates; a part not found is null. */
    public record KubePod(String namespace, String name, String container) {}

    static final Path LOG_LINKS = Path.of("var/log/containers");
    private static final String SA_NAMESPACE = "var/run/secrets/kubernetes.io/serviceaccount/namespace";

    /** Whether a debugger run here is in another world than the target (a container, or we are in one). */
    public boolean elsewhere() {
        return !sameMounts;
    }

    public String shortId() {
        return containerId == null ? null : containerId.substring(0, Math.min(12, containerId.length()));
    }

    public static TargetPlace of(ProcFs procfs, int pid) {
        List<Integer> nsPids = procfs.status(pid).map(ProcStatus::nsPids).orElse(List.of());
        int inside = nsPids.isEmpty() ? pid : nsPids.getLast();
        Optional<String> mine = procfs.namespace(procfs.selfPid(), "mnt").asText();
        Optional<String> theirs = procfs.namespace(pid, "mnt").asText();
        boolean same = mine.isPresent() && mine.equals(theirs);
        Optional<CgroupFile> cgroups = procfs.cgroup(pid);
        String id = cgroups.flatMap(c -> ContainerIds.of(c).stream().findFirst()).orElse(null);
        String runtime = id == null ? null : runtime(cgroups.get());
        KubePod pod = "kubernetes".equals(runtime) ? kubePod(procfs, pid, id) : null;
        return new TargetPlace(pid, inside, same, id, runtime, pod);
    }

    /** Who made the container, by the words its cgroup path carries (kubepods before the engine that runs the pod's containers). */
    static String runtime(CgroupFile cgroups) {
        String paths = String.join("\n", cgroups.lines().stream().map(CgroupFile.Line::path).toList());
        if (paths.contains("kubepods")) {
            return "kubernetes";
        }
        if (paths.contains("docker")) {
            return "docker";
        }
        if (paths.contains("libpod")) {
            return "podman";
        }
        if (paths.contains("crio")) {
            return "cri-o";
        }
        return paths.contains("containerd") ? "containerd" : "container";
    }

    static KubePod kubePod(ProcFs procfs, int pid, String id) {
        Optional<KubePod> fromLinks = fromLogLinks(procfs.path(LOG_LINKS.toString()), id);
        if (fromLinks.isPresent()) {
            return fromLinks.get();
        }
        String name = procfs.read("proc/" + pid + "/environ").asText()
                .flatMap(env -> Stream.of(env.split("\0")).filter(e -> e.startsWith("HOSTNAME=")).findFirst())
                .map(e -> e.substring("HOSTNAME=".length())).filter(s -> !s.isEmpty()).orElse(null);
        String namespace = procfs.read("proc/" + pid + "/root/" + SA_NAMESPACE).asText().map(String::strip)
                .filter(s -> !s.isEmpty()).orElse(null);
        return new KubePod(namespace, name, null);
    }

    /** The kubelet's link for container {@code id}: {@code POD_NAMESPACE_CONTAINER-ID.log} (no part of which holds a '_'). */
    static Optional<KubePod> fromLogLinks(Path dir, String id) {
        String suffix = "-" + id + ".log";
        try (Stream<Path> links = Files.list(dir)) {
            return links.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(suffix))
                    .map(n -> n.substring(0, n.length() - suffix.length()).split("_"))
                    .filter(parts -> parts.length == 3)
                    .map(parts -> new KubePod(parts[1], parts[0], parts[2]))
                    .findFirst();
        } catch (IOException e) {
            return Optional.empty();   // not on the node, or not allowed to look
        }
    }
}
