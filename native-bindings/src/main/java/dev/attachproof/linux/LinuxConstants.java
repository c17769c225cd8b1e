package dev.attachproof.linux;

/**
 * The constants the agent uses, x86_64 Linux. TEMPORARY literal values: to be read from the
 * jextract-generated headers.
 */
public final class LinuxConstants {
    private LinuxConstants() {}

    public static final int PTRACE_PEEKDATA = 2;
    public static final int PTRACE_CONT = 7;
    public static final int PTRACE_GETREGS = 12;
    public static final int PTRACE_ATTACH = 16;
    public static final int PTRACE_DETACH = 17;
    public static final int PTRACE_GETSIGINFO = 0x4202;
    public static final int PTRACE_SEIZE = 0x4206;
    public static final int PTRACE_INTERRUPT = 0x4207;
    public static final int PTRACE_EVENT_STOP = 128;

    public static final int WNOHANG = 1;
    public static final int WALL = 0x40000000;

    public static final int SIGTRAP = 5;
    public static final int SIGKILL = 9;
    public static final int SIGUSR1 = 10;
    public static final int SIGTERM = 15;
    public static final int SIGCONT = 18;
    public static final int SIGSTOP = 19;

    public static final int PR_SET_DUMPABLE = 4;
    public static final int PR_GET_DUMPABLE = 3;
    public static final int PR_SET_NO_NEW_PRIVS = 38;
    public static final int PR_GET_NO_NEW_PRIVS = 39;
    public static final int PR_GET_SECCOMP = 21;
    public static final int PR_CAPBSET_READ = 23;

    public static final int CAP_SYS_PTRACE = 19;
    public static final int LINUX_CAPABILITY_VERSION_3 = 0x20080522;

    public static final int SYS_PTRACE = 101;
    public static final int SYS_PROCESS_VM_READV = 310;
    public static final int SYS_SECCOMP = 317;
    public static final int SYS_CAPGET = 125;
    public static final int SYS_CAPSET = 126;

    public static final int SECCOMP_SET_MODE_FILTER = 1;
    public static final int SECCOMP_FILTER_FLAG_TSYNC = 1;
    public static final int SECCOMP_RET_ALLOW = 0x7fff0000;
    public static final int SECCOMP_RET_ERRNO = 0x00050000;
    public static final int SECCOMP_RET_DATA = 0x0000ffff;
    public static final int AUDIT_ARCH_X86_64 = 0xc000003e;

    public static final int BPF_LD = 0x00;
    public static final int BPF_W = 0x00;
    public static final int BPF_ABS = 0x20;
    public static final int BPF_JMP = 0x05;
    public static final int BPF_JEQ = 0x10;
    public static final int BPF_K = 0x00;
    public static final int BPF_RET = 0x06;

    public static final long SIGINFO_SIZE = 128;
    public static final long USER_REGS_SIZE = 27 * 8;
}
