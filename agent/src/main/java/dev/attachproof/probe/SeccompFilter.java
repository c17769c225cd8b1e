package dev.attachproof.probe;

import dev.attachproof.linux.BpfInstruction;
import dev.attachproof.linux.CallResult;
import dev.attachproof.linux.Errno;
import dev.attachproof.linux.Linux;
import dev.attachproof.linux.LinuxConstants;
import dev.attachproof.linux.Platform;
import dev.attachproof.linux.Syscall;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.attachproof.linux.BpfInstruction.jump;
import static dev.attachproof.linux.BpfInstruction.statement;
import static dev.attachproof.linux.LinuxConstants.BPF_ABS;
import static dev.attachproof.linux.LinuxConstants.BPF_JEQ;
import static dev.attachproof.linux.LinuxConstants.BPF_JMP;
import static dev.attachproof.linux.LinuxConstants.BPF_K;
import static dev.attachproof.linux.LinuxConstants.BPF_LD;
import static dev.attachproof.linux.LinuxConstants.BPF_RET;
import static dev.attachproof.linux.LinuxConstants.BPF_W;

/**
 * A real seccomp filter, as classic BPF over {@code struct seccomp_data}: syscalls named here are
 * answered with an errno, everything else is allowed. The architecture word is checked first, as
 * Documentation/userspace-api/seccomp_filter.rst requires, so a syscall number is never read in
 * the wrong ABI's table: the arch and the numbers are those of the {@link Platform} the filter is
 * built for (this machine's, x86_64 or aarch64).
 */
public final class SeccompFilter {
    /** offsetof(struct seccomp_data, nr) and offsetof(struct seccomp_data, arch). */
    private static final int NR_OFFSET = 0;
    private static final int ARCH_OFFSET = 4;
    private static final Map<String, Syscall> DENIABLE = Map.of(
            "ptrace", Syscall.PTRACE,
            "process_vm_readv", Syscall.PROCESS_VM_READV);

    private SeccompFilter() {}

    /** The syscall names this filter can deny. */
    public static java.util.Set<String> known() {
        return DENIABLE.keySet();
    }

    /** A program for this machine that answers each of {@code syscalls} with {@code errno}. */
    public static List<BpfInstruction> denying(List<String> syscalls, Errno errno) {
        return denying(Platform.current(), syscalls, errno);
    }

    /**
     * A program for {@code platform} that answers each of {@code syscalls} with {@code errno}; a
     * syscall made in another ABI (32-bit x86 on an x86_64 kernel) is let through by the arch check.
     */
    public static List<BpfInstruction> denying(Platform platform, List<String> syscalls, Errno errno) {
        List<BpfInstruction> p = new ArrayList<>();
        p.add(statement(BPF_LD | BPF_W | BPF_ABS, ARCH_OFFSET));
        p.add(jump(BPF_JMP | BPF_JEQ | BPF_K, platform.auditArch(), 1, 0));
        p.add(statement(BPF_RET | BPF_K, LinuxConstants.SECCOMP_RET_ALLOW));
        p.add(statement(BPF_LD | BPF_W | BPF_ABS, NR_OFFSET));
        for (String name : syscalls) {
            Syscall syscall = DENIABLE.get(name);
            if (syscall == null) {
                throw new IllegalArgumentException("no syscall '" + name + "' known to the filter (known: " + DENIABLE.keySet() + ")");
            }
            p.add(jump(BPF_JMP | BPF_JEQ | BPF_K, platform.number(syscall), 0, 1));
            p.add(statement(BPF_RET | BPF_K, LinuxConstants.SECCOMP_RET_ERRNO | (errno.number() & LinuxConstants.SECCOMP_RET_DATA)));
        }
        p.add(statement(BPF_RET | BPF_K, LinuxConstants.SECCOMP_RET_ALLOW));
        return List.copyOf(p);
    }

    /**
     * Installs the program on every thread of this process (SECCOMP_FILTER_FLAG_TSYNC), after
     * setting no_new_privs, which an unprivileged process needs to install a filter.
     */
    public static CallResult<Long> install(Linux linux, List<BpfInstruction> program) {
        CallResult<Long> nnp = linux.prctl(LinuxConstants.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        if (!nnp.ok()) {
            return nnp;
        }
        return linux.seccompSetModeFilter(LinuxConstants.SECCOMP_FILTER_FLAG_TSYNC, program);
    }
}
