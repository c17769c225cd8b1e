package dev.attachproof.diagnose;

import dev.attachproof.procfs.CgroupFile;
import dev.attachproof.procfs.FileRead;
import dev.attachproof.procfs.ProcFs;
import dev.attachproof.procfs.ProcStat;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.IntFunction;
import java.util.stream.Collectors;

/**
 * The processes visible here that are in one container, found by the container's id (or a
 * prefix of it) in each /proc/PID/cgroup ({@link ContainerIds}), and the one of them to work on
 * ({@link #choose}). A DaemonSet agent with hostPID sees every container's processes under host
 * pids; a sidecar with shareProcessNamespace sees its pod's. Reading is here; what the cgroup
 * paths mean is {@link ContainerIds}, and the choice is a pure function of the members.
 */
public final class ContainerProcesses {
    /** Whether a member's executable is a Go program, as {@code ps} tells ({@link BinaryFacts#isGo}). */
    public enum Kind { GO, NOT_GO, UNREADABLE }

    /**
     * A process in the container.
     *
     * @param ppid       its parent, as /proc/PID/stat gives it (0: the parent is outside our PID namespace)
     * @param startTicks its start time, in clock ticks after boot (stat field 22)
     * @param exe        the text of /proc/PID/exe, or its comm in parentheses when the link is hidden
     */
    public record Member(int pid, int ppid, long startTicks, String exe, Kind kind) {}

    /** What an id or prefix finds among the processes visible here. */
    public sealed interface Resolution {
        /** The container {@code id} (full), with its processes in pid order. */
        record Found(String id, List<Member> members) implements Resolution {}

        /** No visible process is in a container with that id. */
        record NotFound() implements Resolution {}

        /** The prefix starts more than one container's id: every one of them, sorted. */
        record Ambiguous(List<String> ids) implements Resolution {}
    }

    private final ProcFs procfs;
    private final IntFunction<BinaryFacts> binaries;

    /** {@code binaries}: the executable of a pid, read as the doctor and {@code ps} read it ({@link FactsReader#binary}). */
    public ContainerProcesses(ProcFs procfs, IntFunction<BinaryFacts> binaries) {
        this.procfs = procfs;
        this.binaries = binaries;
    }

    /** The processes of the one container whose id is {@code idPrefix} or starts with it (lowercase hex). */
    public Resolution find(String idPrefix) {
        Map<String, List<Integer>> byId = new TreeMap<>();
        for (int pid : procfs.pids()) {
            Optional<CgroupFile> cgroups = procfs.cgroup(pid);
            if (cgroups.isEmpty()) {
                continue;   // exited while we listed, or hidden
            }
            for (String id : ContainerIds.of(cgroups.get())) {
                if (id.startsWith(idPrefix)) {
                    byId.computeIfAbsent(id, k -> new ArrayList<>()).add(pid);
                }
            }
        }
        if (byId.isEmpty()) {
            return new Resolution.NotFound();
        }
        if (byId.size() > 1) {
            return new Resolution.Ambiguous(List.copyOf(byId.keySet()));
        }
        Map.Entry<String, List<Integer>> only = byId.entrySet().iterator().next();
        List<Member> members = new ArrayList<>();
        for (int pid : only.getValue()) {
            member(pid).ifPresent(members::add);
        }
        return members.isEmpty() ? new Resolution.NotFound() : new Resolution.Found(only.getKey(), List.copyOf(members));
    }

    private Optional<Member> member(int pid) {
        Optional<ProcStat> stat = procfs.stat(pid);
        if (stat.isEmpty()) {
            return Optional.empty();   // exited since its cgroup was read
        }
        String exe = switch (procfs.readLink("proc/" + pid + "/exe")) {
            case FileRead.Content c -> c.text();
            default -> "(" + stat.get().comm() + ")";
        };
        BinaryFacts b = binaries.apply(pid);
        Kind kind = b.isGo() ? Kind.GO : b.readable() ? Kind.NOT_GO : Kind.UNREADABLE;
        return Optional.of(new Member(pid, stat.get().ppid(), stat.get().startTimeTicks(), exe, kind));
    }

    /**
     * The container's main Go process. Its init process is the one to work on when it is Go: the
     * container's first process, started by the runtime, whose parent is therefore not in the
     * container (the shim, or outside our PID namespace). A process entered later with {@code
     * docker exec} or {@code kubectl exec} also has a parent outside, so of those the oldest is
     * the init. When the init is not Go (a shell, tini, dumb-init), the oldest Go process. Empty
     * when no member is Go.
     */
    public static Optional<ContainerTarget> choose(String id, List<Member> members) {
        Comparator<Member> byAge = Comparator.comparingLong(Member::startTicks).thenComparingInt(Member::pid);
        Set<Integer> inside = members.stream().map(Member::pid).collect(Collectors.toSet());
        List<Member> go = members.stream().filter(m -> m.kind() == Kind.GO).sorted(byAge).toList();
        if (go.isEmpty()) {
            return Optional.empty();
        }
        Optional<Member> init = members.stream().filter(m -> !inside.contains(m.ppid())).min(byAge);
        boolean initIsGo = init.isPresent() && init.get().kind() == Kind.GO;
        Member chosen = initIsGo ? init.get() : go.getFirst();
        return Optional.of(new ContainerTarget(id, chosen.pid(), chosen.exe(),
                initIsGo ? ContainerTarget.Chosen.INIT : ContainerTarget.Chosen.OLDEST_GO, members.size(), go.size()));
    }
}
