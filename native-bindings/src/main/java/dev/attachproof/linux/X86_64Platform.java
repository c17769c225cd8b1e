package dev.attachproof.linux;

import dev.attachproof.linux.generated.x86_64.LinuxHeaders;
import dev.attachproof.linux.generated.x86_64.user_regs_struct;

import java.util.Map;

/**
 * x86_64, from the generation on Debian's amd64 headers. Its NT_PRSTATUS register set is
 * {@code struct user_regs_struct} (sys/user.h; the kernel's arch/x86/include/asm/user_64.h), 27
 * words: r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8, rax, rcx, rdx, rsi, rdi, orig_rax,
 * rip (16), cs, eflags, rsp (19), ss, fs_base (21), gs_base, ds, es, fs, gs.
 */
final class X86_64Platform {
    static final Platform PLATFORM = new Platform("x86_64", LinuxHeaders.AUDIT_ARCH_X86_64(), Map.of(
            Syscall.PTRACE, LinuxHeaders.SYS_ptrace(),
            Syscall.PROCESS_VM_READV, LinuxHeaders.SYS_process_vm_readv(),
            Syscall.SECCOMP, LinuxHeaders.SYS_seccomp(),
            Syscall.CAPGET, LinuxHeaders.SYS_capget(),
            Syscall.CAPSET, LinuxHeaders.SYS_capset(),
            Syscall.SETRESUID, LinuxHeaders.SYS_setresuid(),
            Syscall.SETRESGID, LinuxHeaders.SYS_setresgid(),
            Syscall.SETGROUPS, LinuxHeaders.SYS_setgroups()),
            RegisterSet.of(user_regs_struct.layout(), "rip", "rsp"));

    private X86_64Platform() {}
}
