package dev.attachproof.linux;

import dev.attachproof.linux.generated.x86_64.LinuxHeaders;

/**
 * The constants the agent uses that x86_64 and aarch64 share, as the jextract-generated bindings
 * give them from the Linux and glibc headers. One place to name them, so that callers need not
 * know the generated packages; values never written by hand. They are read from the x86_64
 * generation, and SharedAbiTest proves the aarch64 generation has the same value for every
 * constant but the syscall numbers: those, and the rest that differs, are {@link Platform}'s.
 */
public final class LinuxConstants {
    private LinuxConstants() {}

    public static final int PTRACE_PEEKDATA = (int) LinuxHeaders.PTRACE_PEEKDATA();
    public static final int PTRACE_CONT = (int) LinuxHeaders.PTRACE_CONT();
    public static final int PTRACE_GETREGSET = (int) LinuxHeaders.PTRACE_GETREGSET();
    /** The regset of the general registers (elf.h): what PTRACE_GETREGSET reads on every arch. */
    public static final int NT_PRSTATUS = (int) LinuxHeaders.NT_PRSTATUS();
    public static final int PTRACE_ATTACH = (int) LinuxHeaders.PTRACE_ATTACH();
    public static final int PTRACE_DETACH = (int) LinuxHeaders.PTRACE_DETACH();
    public static final int PTRACE_GETSIGINFO = (int) LinuxHeaders.PTRACE_GETSIGINFO();
    public static final int PTRACE_SEIZE = (int) LinuxHeaders.PTRACE_SEIZE();
    public static final int PTRACE_INTERRUPT = (int) LinuxHeaders.PTRACE_INTERRUPT();
    public static final int PTRACE_EVENT_STOP = (int) LinuxHeaders.PTRACE_EVENT_STOP();
    public static final int WNOHANG = (int) LinuxHeaders.WNOHANG();
    public static final int WALL = (int) LinuxHeaders.__WALL();
    public static final int SIGTRAP = (int) LinuxHeaders.SIGTRAP();
    public static final int SIGKILL = (int) LinuxHeaders.SIGKILL();
    public static final int SIGUSR1 = (int) LinuxHeaders.SIGUSR1();
    public static final int SIGTERM = (int) LinuxHeaders.SIGTERM();
    public static final int SIGCONT = (int) LinuxHeaders.SIGCONT();
    public static final int SIGSTOP = (int) LinuxHeaders.SIGSTOP();
    public static final int PR_SET_DUMPABLE = (int) LinuxHeaders.PR_SET_DUMPABLE();
    public static final int PR_GET_DUMPABLE = (int) LinuxHeaders.PR_GET_DUMPABLE();
    public static final int PR_SET_NO_NEW_PRIVS = (int) LinuxHeaders.PR_SET_NO_NEW_PRIVS();
    public static final int PR_GET_NO_NEW_PRIVS = (int) LinuxHeaders.PR_GET_NO_NEW_PRIVS();
    public static final int PR_GET_SECCOMP = (int) LinuxHeaders.PR_GET_SECCOMP();
    public static final int PR_CAPBSET_READ = (int) LinuxHeaders.PR_CAPBSET_READ();
    public static final int CAP_SYS_PTRACE = (int) LinuxHeaders.CAP_SYS_PTRACE();
    public static final int CAP_SETUID = (int) LinuxHeaders.CAP_SETUID();
    public static final int CAP_SETGID = (int) LinuxHeaders.CAP_SETGID();
    public static final int LINUX_CAPABILITY_VERSION_3 = (int) LinuxHeaders._LINUX_CAPABILITY_VERSION_3();
    public static final int SECCOMP_SET_MODE_FILTER = (int) LinuxHeaders.SECCOMP_SET_MODE_FILTER();
    public static final int SECCOMP_FILTER_FLAG_TSYNC = (int) LinuxHeaders.SECCOMP_FILTER_FLAG_TSYNC();
    public static final int SECCOMP_RET_ALLOW = (int) LinuxHeaders.SECCOMP_RET_ALLOW();
    public static final int SECCOMP_RET_ERRNO = (int) LinuxHeaders.SECCOMP_RET_ERRNO();
    public static final int SECCOMP_RET_DATA = (int) LinuxHeaders.SECCOMP_RET_DATA();
    public static final int BPF_LD = (int) LinuxHeaders.BPF_LD();
    public static final int BPF_W = (int) LinuxHeaders.BPF_W();
    public static final int BPF_ABS = (int) LinuxHeaders.BPF_ABS();
    public static final int BPF_JMP = (int) LinuxHeaders.BPF_JMP();
    public static final int BPF_JEQ = (int) LinuxHeaders.BPF_JEQ();
    public static final int BPF_K = (int) LinuxHeaders.BPF_K();
    public static final int BPF_RET = (int) LinuxHeaders.BPF_RET();
    /** sizeof(siginfo_t): its head is si_signo, si_errno, si_code (three ints), then a union. */
    public static final long SIGINFO_SIZE = LinuxHeaders.__SI_MAX_SIZE();
}
