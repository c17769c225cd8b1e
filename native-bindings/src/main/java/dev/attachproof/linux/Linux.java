package dev.attachproof.linux;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * The Linux calls attachproof makes, one method per call (or per ptrace request), no decisions.
 *
 * <p>Every method returns what the kernel said: a value, or the errno captured right after the
 * call on the calling thread. Two implementations exist and must agree: {@link FfmLinux}, on the
 * jextract-generated FFM bindings, and {@link JnaLinux}, on JNA, used as an independent oracle in
 * tests and as the fallback where FFM native access is not enabled.
 *
 * <p>ptrace rule: the tracer is a thread. Every ptrace and waitpid call for one tracee must come
 * from the same thread; callers see to that (the agent's tracer thread), this layer does not.
 */
public interface Linux {

    /** The best binding here: FFM when this module may use native access, else JNA. */
    static Linux system() {
        return LinuxBindings.system();
    }

    /** "ffm" or "jna". */
    String binding();

    int getpid();

    int gettid();

    CallResult<Ids> getresuid();

    CallResult<Ids> getresgid();

    /**
     * The raw setresuid syscall ({@code syscall(SYS_setresuid, ruid, euid, suid)}; -1 leaves an id
     * as it is): it changes the credentials of the calling thread only. The kernel keeps
     * credentials per thread; glibc's {@code setresuid()} makes them per process by signalling
     * every other thread to make the same call (setresuid(2) and nptl(7), "C library/kernel
     * differences"). The raw call is the point: a probe thread can take another uid while the
     * JVM's other threads keep theirs. A thread that used it must end, never return to a pool.
     */
    CallResult<Long> setresuidThisThread(int ruid, int euid, int suid);

    /** The raw setresgid syscall, for the calling thread only: see {@link #setresuidThisThread}. */
    CallResult<Long> setresgidThisThread(int rgid, int egid, int sgid);

    /**
     * The raw setgroups syscall ({@code syscall(SYS_setgroups, groups.length, groups)}, an empty
     * array clears the list), for the calling thread only: see {@link #setresuidThisThread}.
     */
    CallResult<Long> setgroupsThisThread(int[] groups);

    /** PTRACE_SEIZE: trace {@code pid} without stopping it; {@code options} are PTRACE_O_* bits. */
    CallResult<Long> ptraceSeize(int pid, long options);

    /** PTRACE_INTERRUPT: stop a seized tracee; it reports a PTRACE_EVENT_STOP to waitpid. */
    CallResult<Long> ptraceInterrupt(int pid);

    /** PTRACE_ATTACH: trace {@code pid} and send it SIGSTOP. */
    CallResult<Long> ptraceAttach(int pid);

    /** PTRACE_DETACH: let a stopped tracee go, delivering {@code signal} (0 for none). */
    CallResult<Long> ptraceDetach(int pid, int signal);

    /** PTRACE_CONT: resume a stopped tracee, delivering {@code signal} (0 for none). */
    CallResult<Long> ptraceCont(int pid, int signal);

    /** PTRACE_PEEKDATA: one word of the tracee's memory. */
    CallResult<Long> ptracePeekData(int pid, long address);

    /** PTRACE_GETSIGINFO: the signal that caused the current stop. */
    CallResult<Siginfo> ptraceGetSiginfo(int pid);

    /**
     * PTRACE_GETREGSET of NT_PRSTATUS: the general registers, as the words of this machine's
     * {@link Platform#registers() register set}: on x86_64 {@code struct user_regs_struct} (rip is
     * word 16, rsp 19, fs_base 21), on aarch64 {@code struct user_pt_regs} (x0-x30 are words 0-30,
     * sp 31, pc 32, pstate 33). As many words as the kernel filled: it writes the length back into
     * the iovec, and a tracee of another ABI (a 32-bit x86 one) gets a shorter set.
     */
    CallResult<long[]> ptraceGetRegset(int pid);

    /** waitpid(2); {@code options} are W* bits (WNOHANG, __WALL, …). */
    CallResult<WaitStatus> waitpid(int pid, int options);

    /**
     * process_vm_readv(2) of {@code destination.remaining()} bytes at {@code address} in
     * {@code pid} into {@code destination} (from its position; the position is not moved).
     * Returns the number of bytes read, which may be short.
     */
    CallResult<Long> processVmReadv(int pid, long address, ByteBuffer destination);

    /** IOV_MAX: the most remote ranges one process_vm_readv takes. */
    int IOV_MAX = 1024;

    /**
     * process_vm_readv(2) of up to {@link #IOV_MAX} remote ranges ({@code addresses[i]},
     * {@code lengths[i]} bytes) one after the other into {@code destination} (from its position,
     * which is not moved). The kernel stops at the first range it cannot read: the count says how
     * far it got.
     */
    CallResult<Long> processVmReadv(int pid, long[] addresses, int[] lengths, ByteBuffer destination);

    /** prctl(2) with all five arguments. */
    CallResult<Long> prctl(int option, long arg2, long arg3, long arg4, long arg5);

    /** capget(2) for {@code pid} (0 = the calling thread), version 3. */
    CallResult<CapabilitySets> capget(int pid);

    /** capset(2) for the calling thread, version 3. */
    CallResult<Long> capset(CapabilitySets sets);

    /** seccomp(SECCOMP_SET_MODE_FILTER, flags, prog): install a filter on the calling thread. */
    CallResult<Long> seccompSetModeFilter(int flags, List<BpfInstruction> program);

    CallResult<Long> kill(int pid, int signal);

    CallResult<Long> tgkill(int tgid, int tid, int signal);

    /**
     * write(2) of {@code source}'s remaining bytes to {@code fd}, once: the bytes written (maybe
     * fewer), or the errno (EPIPE: the reader of a pipe has gone). {@code source}'s position is
     * not moved.
     */
    CallResult<Long> write(int fd, ByteBuffer source);
}
