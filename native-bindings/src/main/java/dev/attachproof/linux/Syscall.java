package dev.attachproof.linux;

/**
 * The syscalls attachproof names by number (through syscall(3), or in a seccomp filter): their
 * numbers differ per architecture, so each {@link Platform} maps every one of them.
 */
public enum Syscall {
    PTRACE,
    PROCESS_VM_READV,
    SECCOMP,
    CAPGET,
    CAPSET,
    SETRESUID,
    SETRESGID,
    SETGROUPS
}
