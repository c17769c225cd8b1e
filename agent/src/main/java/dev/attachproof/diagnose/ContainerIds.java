package dev.attachproof.diagnose;

import dev.attachproof.procfs.CgroupFile;

import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;

/**
 * The container a cgroup path names, by the conventions of the container runtimes: a container's
 * id is 64 lowercase hex digits, and the runtime names the container's cgroup after it, as
 *
 * <ul>
 *   <li>a whole path component, with the cgroupfs driver: {@code /docker/ID} (Docker),
 *       {@code /kubepods/besteffort/podUID/ID} and {@code /kubepods/podUID/ID} (the kubelet),
 *       {@code /k8s.io/ID} (containerd's namespace, without Kubernetes' hierarchy);</li>
 *   <li>a systemd scope, with the systemd driver: {@code .../cri-containerd-ID.scope},
 *       {@code crio-ID.scope}, {@code docker-ID.scope}, {@code libpod-ID.scope};</li>
 *   <li>containerd's {@code slice:prefix:ID} unit name, which is what appears when containerd's
 *       systemd driver runs inside a nested cgroup (kind's nodes:
 *       {@code /system.slice/containerd.service/kubepods-...slice:cri-containerd:ID}).</li>
 * </ul>
 *
 * An id is only ever a whole component or the id part of one of those forms, never a run of hex
 * found inside something else. CRI-O and Podman also make a scope for the monitor that starts
 * the container ({@code crio-conmon-ID.scope}, {@code libpod-conmon-ID.scope}): conmon runs
 * beside the container, not in it, so those name no container. Pure: tested on recorded text.
 */
public final class ContainerIds {
    /** A full container id: 64 hex digits, as Docker, containerd and CRI-O make them. */
    public static final int FULL_LENGTH = 64;

    private ContainerIds() {}

    /**
     * The containers a process is in, by its /proc/PID/cgroup: on each line the deepest component
     * that names one (with Docker in Docker, the inner container is the process's). One id on
     * every line that names any, in practice; a set, in case the hierarchies disagree.
     */
    public static Set<String> of(CgroupFile cgroups) {
        Set<String> ids = new LinkedHashSet<>();
        for (CgroupFile.Line l : cgroups.lines()) {
            inPath(l.path()).ifPresent(ids::add);
        }
        return ids;
    }

    /** The container the cgroup {@code path} names: its deepest component that names one. */
    public static Optional<String> inPath(String path) {
        String[] components = path.split("/");
        for (int i = components.length - 1; i >= 0; i--) {
            Optional<String> id = inComponent(components[i]);
            if (id.isPresent()) {
                return id;
            }
        }
        return Optional.empty();
    }

    /** The id one path component names: {@code ID}, {@code PREFIX-ID.scope} or {@code ...:PREFIX:ID}. */
    static Optional<String> inComponent(String c) {
        if (isFullId(c)) {
            return Optional.of(c);
        }
        if (c.endsWith(".scope")) {
            String unit = c.substring(0, c.length() - ".scope".length());
            int dash = unit.length() - FULL_LENGTH - 1;
            if (dash > 0 && unit.charAt(dash) == '-' && isFullId(unit.substring(dash + 1))
                    && !unit.substring(0, dash).endsWith("conmon")) {
                return Optional.of(unit.substring(dash + 1));
            }
            return Optional.empty();
        }
        String[] fields = c.split(":");
        if (fields.length == 3 && !fields[0].isEmpty() && !fields[1].isEmpty() && isFullId(fields[2])
                && !fields[1].endsWith("conmon")) {
            return Optional.of(fields[2]);
        }
        return Optional.empty();
    }

    /** 64 lowercase hex digits and nothing else. */
    public static boolean isFullId(String s) {
        return s.length() == FULL_LENGTH && isHex(s);
    }

    /** Lowercase hex digits only (container ids are written so; an empty string is not). */
    public static boolean isHex(String s) {
        return !s.isEmpty() && s.chars().allMatch(ch -> (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'));
    }
}
