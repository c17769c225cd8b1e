package dev.attachproof.matrix;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/** The matrix's settings, by the names of the CLI and JSON contract. */
public enum Setting {
    /** No restriction: the probe as the matrix runs. */
    BASELINE("baseline"),
    /** CAP_SYS_PTRACE taken out of the probe thread's effective and permitted sets. */
    DROP_CAP_SYS_PTRACE("drop-cap-sys-ptrace"),
    /** Without CAP_SYS_PTRACE, and as uid and gid 65534 (nobody), no supplementary groups. */
    DROP_CAP_SYS_PTRACE_OTHER_UID("drop-cap-sys-ptrace+other-uid"),
    /**
     * As uid and gid 65534, with the capabilities the kernel leaves a uid that stops being root:
     * none permitted or effective, every one still in the bounding set. What `docker run --user
     * 1000 --cap-add SYS_PTRACE` gives a debugger: the capability added, and not held.
     */
    OTHER_UID_CAP_IN_BOUNDING_SET("other-uid+bounding-only"),
    /** prctl(PR_SET_NO_NEW_PRIVS): what Docker's no-new-privileges sets. */
    NO_NEW_PRIVS("no-new-privs"),
    /** A seccomp filter on every thread answering ptrace(2) with EPERM. */
    SECCOMP_DENY_PTRACE("seccomp-deny-ptrace"),
    /** A seccomp filter on every thread answering process_vm_readv(2) with EPERM. */
    SECCOMP_DENY_PROCESS_VM_READV("seccomp-deny-process-vm-readv"),
    /** The probe in a user namespace of its own (unshare --user --map-root-user), as in a rootless container. */
    USER_NAMESPACE("user-namespace"),
    /** Yama ptrace_scope set to 1, 2 or 3 for the probe (root, a Yama kernel, --allow-yama-change). */
    YAMA_1("yama-1"),
    YAMA_2("yama-2"),
    YAMA_3("yama-3");

    private final String id;

    Setting(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    /** The Yama scope this setting sets, or -1. */
    public int yamaScope() {
        return switch (this) {
            case YAMA_1 -> 1;
            case YAMA_2 -> 2;
            case YAMA_3 -> 3;
            default -> -1;
        };
    }

    public static Optional<Setting> byId(String id) {
        return Arrays.stream(values()).filter(s -> s.id.equals(id)).findFirst();
    }

    public static List<String> ids() {
        return Arrays.stream(values()).map(Setting::id).toList();
    }
}
