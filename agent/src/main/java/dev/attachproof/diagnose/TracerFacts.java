package dev.attachproof.diagnose;

import dev.attachproof.procfs.FileRead;
import dev.attachproof.procfs.ProcStatus;

import java.util.Optional;
import java.util.OptionalInt;

/**
 * This side's evidence: our credentials and capabilities (/proc/self/status), the kernel's
 * Yama scope and LSM list, our LSM label and namespaces, the seccomp probes, and the LSM settings
 * /sys shows outside securityfs. The probes are null for recorded trees, where nothing can be called.
 */
public record TracerFacts(int pid, ProcStatus status, OptionalInt yamaScope, FileRead lsmList,
                          Optional<String> label, String pidNamespace, String userNamespace,
                          String mountNamespace, SyscallProbe ptraceProbe, SyscallProbe vmReadvProbe,
                          LsmSwitches lsmSwitches) {

    public boolean hasCapability(int cap) {
        return (status.capEff().orElse(0) & (1L << cap)) != 0;
    }
}
