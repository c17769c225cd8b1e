package dev.attachproof.linux;

import dev.attachproof.linux.generated.aarch64.LinuxHeaders;
import dev.attachproof.linux.generated.aarch64.user_regs_struct;

import java.util.Map;

/**
 * aarch64, from the generation on Debian's arm64 headers. Its NT_PRSTATUS register set is glibc's
 * {@code struct user_regs_struct} (sys/user.h), laid out as the kernel's {@code struct user_pt_regs}
 * (arch/arm64/include/uapi/asm/ptrace.h), 34 words: x0 to x30 (0-30; x29 is the frame pointer, x30
 * the link register, x28 holds Go's g), sp (31), pc (32), pstate (33). arm64 has no
 * PTRACE_GETREGS: PTRACE_GETREGSET is the only way to these registers.
 */
final class Aarch64Platform {
    static final Platform PLATFORM = new Platform("aarch64", LinuxHeaders.AUDIT_ARCH_AARCH64(), Map.of(
            Syscall.PTRACE, LinuxHeaders.SYS_ptrace(),
            Syscall.PROCESS_VM_READV, LinuxHeaders.SYS_process_vm_readv(),
            Syscall.SECCOMP, LinuxHeaders.SYS_seccomp(),
            Syscall.CAPGET, LinuxHeaders.SYS_capget(),
            Syscall.CAPSET, LinuxHeaders.SYS_capset(),
            Syscall.SETRESUID, LinuxHeaders.SYS_setresuid(),
            Syscall.SETRESGID, LinuxHeaders.SYS_setresgid(),
            Syscall.SETGROUPS, LinuxHeaders.SYS_setgroups()),
            RegisterSet.of(user_regs_struct.layout(), "pc", "sp"));

    private Aarch64Platform() {}
}
