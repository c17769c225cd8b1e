package dev.attachproof.diagnose;

import dev.attachproof.procfs.FileRead;
import dev.attachproof.procfs.Owner;
import dev.attachproof.procfs.ProcStat;
import dev.attachproof.procfs.ProcStatus;

import java.util.Optional;

/**
 * The target's evidence, read once: its status and stat (empty when unreadable), the owner of its /proc directory (root while it
 * is not dumpable), its LSM label, namespaces, its tracer's name if any, whether it descends
 * from us (Yama scope 1), and what its executable says.
 */
public record TargetFacts(int pid, ProcStatus status, Optional<ProcStat> stat, Optional<Owner> owner, Optional<String> label,
                          FileRead pidNamespace, FileRead userNamespace, FileRead mountNamespace,
                          Optional<Tracing> tracer, boolean descendantOfTracer, BinaryFacts binary) {

    /**
     * Who traces the target. TracerPid in /proc/PID/status is the tracing *thread*; the process
     * it belongs to is that thread's Tgid.
     */
    public record Tracing(int thread, int process, String name) {}
}
