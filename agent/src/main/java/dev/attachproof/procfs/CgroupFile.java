package dev.attachproof.procfs;

import java.util.ArrayList;
import java.util.List;

/**
 * /proc/PID/cgroup, parsed: one line per hierarchy, {@code hierarchy-ID:controller-list:path}
 * (cgroups(7)). Under cgroup v1 there is a line per mounted hierarchy ({@code 4:memory:/docker/ID},
 * {@code 1:name=systemd:/...}); under v2 one line, {@code 0::/path}; a hybrid host has both. The
 * path is relative to the reader's cgroup namespace root, so a process outside it shows as
 * {@code /../ID} (kernel/cgroup/cgroup.c, proc_cgroup_show: cgroup_path_ns).
 */
public record CgroupFile(List<Line> lines) {
    /** One hierarchy: its id (0 for v2), its controllers (empty for v2), and the process's cgroup in it. */
    public record Line(int hierarchy, List<String> controllers, String path) {}

    /**
     * The lines of {@code text}; a line without two colons is skipped. The path is split off at
     * the second colon only: a path may hold colons itself (a systemd unit named {@code
     * slice:prefix:id}, as containerd names one in a nested cgroup).
     */
    public static CgroupFile parse(String text) {
        List<Line> lines = new ArrayList<>();
        for (String l : text.split("\n")) {
            String[] f = l.split(":", 3);
            if (f.length < 3 || f[0].isEmpty() || !f[0].chars().allMatch(c -> c >= '0' && c <= '9') || f[0].length() > 9) {
                continue;
            }
            List<String> controllers = f[1].isEmpty() ? List.of() : List.of(f[1].split(","));
            lines.add(new Line(Integer.parseInt(f[0]), controllers, f[2]));
        }
        return new CgroupFile(List.copyOf(lines));
    }
}
