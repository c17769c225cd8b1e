package dev.attachproof.procfs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.stream.Stream;

/**
 * The one reader of /proc and /sys. {@link #live()} reads this machine; {@link #at(Path)} reads a
 * recorded tree (see {@code containers/proc-recorder/record-proc.sh}), where the owner of
 * {@code /proc/PID} is stored in {@code proc/PID/.owner} because git keeps no file owners.
 */
public final class ProcFs {
    private final Path root;
    private final boolean live;

    private ProcFs(Path root, boolean live) {
        this.root = root;
        this.live = live;
    }

    public static ProcFs live() {
        return new ProcFs(Path.of("/"), true);
    }

    public static ProcFs at(Path root) {
        return new ProcFs(root, false);
    }

    public boolean isLive() {
        return live;
    }

    /** A path under the root, e.g. {@code path("proc/1/status")}. */
    public Path path(String relative) {
        return root.resolve(relative);
    }

    public Path pidDir(int pid) {
        return root.resolve("proc").resolve(Integer.toString(pid));
    }

    /** The whole of a small text file, or why not. */
    public FileRead read(String relative) {
        Path p = path(relative);
        try {
            return new FileRead.Content(relative, new String(Files.readAllBytes(p), StandardCharsets.UTF_8));
        } catch (NoSuchFileException e) {
            return new FileRead.Missing(relative);
        } catch (AccessDeniedException e) {
            return new FileRead.Unreadable(relative, "EACCES");
        } catch (IOException e) {
            return new FileRead.Unreadable(relative, errnoName(e));
        }
    }

    /** A symlink's target text (for /proc/PID/exe, ns/*), or why not. */
    public FileRead readLink(String relative) {
        Path p = path(relative);
        try {
            return new FileRead.Content(relative, Files.readSymbolicLink(p).toString());
        } catch (NoSuchFileException e) {
            return new FileRead.Missing(relative);
        } catch (AccessDeniedException e) {
            return new FileRead.Unreadable(relative, "EACCES");
        } catch (IOException e) {
            return new FileRead.Unreadable(relative, errnoName(e));
        }
    }

    public boolean exists(int pid) {
        return Files.isDirectory(pidDir(pid));
    }

    /** Whether {@code pid} has exited: gone from /proc, or a zombie (Z, or X while it is being reaped). */
    public boolean exited(int pid) {
        return status(pid).map(st -> st.state() == 'Z' || st.state() == 'X').orElse(true);
    }

    /** Our own pid as /proc sees it (in a recorded tree: the recorder's). */
    public int selfPid() {
        return switch (readLink("proc/self")) {
            case FileRead.Content c -> Integer.parseInt(c.text());
            default -> (int) ProcessHandle.current().pid();
        };
    }

    /** /proc/PID/status, parsed; empty when the process is gone. */
    public Optional<ProcStatus> status(int pid) {
        return read("proc/" + pid + "/status").asText().map(ProcStatus::parse);
    }

    /**
     * /proc/PID/task/TID/status, parsed: one thread's credentials (capabilities, uids, no_new_privs
     * and seccomp are per thread); empty when the thread is gone.
     */
    public Optional<ProcStatus> taskStatus(int pid, int tid) {
        return read("proc/" + pid + "/task/" + tid + "/status").asText().map(ProcStatus::parse);
    }

    /** /proc/PID/stat, parsed; empty when the process is gone. */
    public Optional<ProcStat> stat(int pid) {
        return read("proc/" + pid + "/stat").asText().map(ProcStat::parse);
    }

    /** /proc/PID/cgroup, parsed; empty when the process is gone or the file is not readable. */
    public Optional<CgroupFile> cgroup(int pid) {
        return read("proc/" + pid + "/cgroup").asText().map(CgroupFile::parse);
    }

    /** /proc/PID/comm without its newline. */
    public Optional<String> comm(int pid) {
        return read("proc/" + pid + "/comm").asText().map(String::strip);
    }

    /** /proc/PID/cmdline as arguments. */
    public List<String> cmdline(int pid) {
        return read("proc/" + pid + "/cmdline").asText()
                .map(s -> List.of(s.split("\0")))
                .orElse(List.of());
    }

    /**
     * Owner of /proc/PID/status. The kernel gives a process's /proc files to root (of its user
     * namespace) while the process is not dumpable; world-readable directories such as /proc/PID
     * itself keep the process's euid, so the directory does not show it (fs/proc/base.c,
     * task_dump_owner).
     */
    public Optional<Owner> owner(int pid) {
        if (!live) {
            return read("proc/" + pid + "/.owner").asText().map(Owner::parse);
        }
        try {
            Path status = pidDir(pid).resolve("status");
            int uid = (Integer) Files.getAttribute(status, "unix:uid", LinkOption.NOFOLLOW_LINKS);
            int gid = (Integer) Files.getAttribute(status, "unix:gid", LinkOption.NOFOLLOW_LINKS);
            return Optional.of(new Owner(uid, gid));
        } catch (IOException | UnsupportedOperationException e) {
            return Optional.empty();
        }
    }

    /** The 1-minute load average, the first field of /proc/loadavg (proc(5)); empty when unreadable. */
    public OptionalDouble loadAverage() {
        try {
            return read("proc/loadavg").asText()
                    .map(s -> OptionalDouble.of(Double.parseDouble(s.strip().split(" ", 2)[0])))
                    .orElse(OptionalDouble.empty());
        } catch (NumberFormatException e) {
            return OptionalDouble.empty();
        }
    }

    /** /proc/sys/kernel/yama/ptrace_scope; empty when the kernel has no Yama. */
    public OptionalInt yamaPtraceScope() {
        return read("proc/sys/kernel/yama/ptrace_scope").asText()
                .map(s -> OptionalInt.of(Integer.parseInt(s.strip())))
                .orElse(OptionalInt.empty());
    }

    /** The active LSMs in order, from securityfs; why not, when it is not mounted. */
    public FileRead lsmList() {
        return read("sys/kernel/security/lsm");
    }

    /** The LSM label of a process: /proc/PID/attr/current, or AppArmor's own file. */
    public Optional<String> securityLabel(int pid) {
        for (String f : List.of("attr/apparmor/current", "attr/current")) {
            Optional<String> label = read("proc/" + pid + "/" + f).asText()
                    .map(s -> s.replace("\0", "").strip())
                    .filter(s -> !s.isEmpty());
            if (label.isPresent()) {
                return label;
            }
        }
        return Optional.empty();
    }

    /**
     * /sys/module/apparmor/parameters/enabled: "Y" when AppArmor is built in and on, "N" when built
     * in but off (apparmor=0 on the kernel's command line); missing without AppArmor. Unlike
     * securityfs it is readable where Docker's default profile runs (which denies
     * /sys/kernel/security/**) and needs no mount.
     */
    public FileRead appArmorEnabled() {
        return read("sys/module/apparmor/parameters/enabled");
    }

    /** /sys/fs/selinux/enforce: "1" enforcing, "0" permissive; missing without selinuxfs. */
    public FileRead selinuxEnforce() {
        return read("sys/fs/selinux/enforce");
    }

    /** An SELinux boolean, /sys/fs/selinux/booleans/NAME: "CURRENT PENDING" (see {@link SelinuxBoolean}). */
    public FileRead selinuxBoolean(String name) {
        return read("sys/fs/selinux/booleans/" + name);
    }

    /** Namespace id of a process, e.g. "pid:[4026531836]", from /proc/PID/ns/KIND. */
    public FileRead namespace(int pid, String kind) {
        return readLink("proc/" + pid + "/ns/" + kind);
    }

    /** Every numeric entry of /proc: the processes visible from here. */
    public List<Integer> pids() {
        List<Integer> pids = new ArrayList<>();
        try (Stream<Path> entries = Files.list(root.resolve("proc"))) {
            entries.forEach(p -> {
                String n = p.getFileName().toString();
                if (!n.isEmpty() && n.chars().allMatch(Character::isDigit)) {
                    pids.add(Integer.parseInt(n));
                }
            });
        } catch (IOException e) {
            return List.of();
        }
        pids.sort(null);
        return pids;
    }

    /** Thread ids of a process, from /proc/PID/task. */
    public List<Integer> tasks(int pid) {
        List<Integer> tids = new ArrayList<>();
        try (Stream<Path> entries = Files.list(pidDir(pid).resolve("task"))) {
            entries.forEach(p -> tids.add(Integer.parseInt(p.getFileName().toString())));
        } catch (IOException | NumberFormatException e) {
            return List.of();
        }
        tids.sort(null);
        return tids;
    }

    /** /proc/PID/maps, parsed. */
    public List<Mapping> maps(int pid) {
        return read("proc/" + pid + "/maps").asText().map(Mapping::parseAll).orElse(List.of());
    }

    /**
     * The errno's name behind an IOException from the JDK's file calls ({@link FileErrno}), or
     * the exception's class name when the JDK's exception names no errno.
     */
    static String errnoName(IOException e) {
        return FileErrno.of(e).map(Enum::name).orElse(e.getClass().getSimpleName());
    }
}
