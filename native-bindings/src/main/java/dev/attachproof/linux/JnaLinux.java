package dev.attachproof.linux;

import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * The facade on JNA: an implementation independent of the FFM bindings, used as the oracle that
 * tests compare {@link FfmLinux} with, and as the fallback where FFM native access is not enabled.
 * JNA keeps errno per thread after every call ({@link Native#getLastError()}).
 */
public final class JnaLinux implements Linux {

    /** The libc functions, mapped by JNA; variadic ones take {@code Object...}. */
    public interface LibC extends Library {
        long ptrace(int request, Object... args);

        long syscall(long number, Object... args);

        int prctl(int option, Object... args);

        int waitpid(int pid, IntByReference status, int options);

        long process_vm_readv(int pid, Pointer local, long liovcnt, Pointer remote, long riovcnt, long flags);

        int kill(int pid, int signal);

        long write(int fd, Pointer buf, long count);

        int tgkill(int tgid, int tid, int signal);

        int getpid();

        int gettid();

        int getresuid(IntByReference real, IntByReference effective, IntByReference saved);

        int getresgid(IntByReference real, IntByReference effective, IntByReference saved);
    }

    private static final Pointer NULL = Pointer.createConstant(0L);
    private final LibC c;
    private final Platform platform = Platform.current();

    public JnaLinux() {
        this.c = Native.load("c", LibC.class);
    }

    @Override
    public String binding() {
        return "jna";
    }

    @Override
    public int getpid() {
        return c.getpid();
    }

    @Override
    public int gettid() {
        return c.gettid();
    }

    @Override
    public CallResult<Ids> getresuid() {
        IntByReference r = new IntByReference(), e = new IntByReference(), s = new IntByReference();
        return result("getresuid", c.getresuid(r, e, s)).map(x -> new Ids(r.getValue(), e.getValue(), s.getValue()));
    }

    @Override
    public CallResult<Ids> getresgid() {
        IntByReference r = new IntByReference(), e = new IntByReference(), s = new IntByReference();
        return result("getresgid", c.getresgid(r, e, s)).map(x -> new Ids(r.getValue(), e.getValue(), s.getValue()));
    }

    @Override
    public CallResult<Long> setresuidThisThread(int ruid, int euid, int suid) {
        // The raw syscall, not glibc's wrapper, which would change every thread's ids (setresuid(2)).
        return result("setresuid", c.syscall(platform.number(Syscall.SETRESUID), (long) ruid, (long) euid, (long) suid));
    }

    @Override
    public CallResult<Long> setresgidThisThread(int rgid, int egid, int sgid) {
        return result("setresgid", c.syscall(platform.number(Syscall.SETRESGID), (long) rgid, (long) egid, (long) sgid));
    }

    @Override
    public CallResult<Long> setgroupsThisThread(int[] groups) {
        Pointer list = NULL;
        if (groups.length > 0) {
            Memory m = new Memory(4L * groups.length);
            m.write(0, groups, 0, groups.length);
            list = m;
        }
        return result("setgroups", c.syscall(platform.number(Syscall.SETGROUPS), (long) groups.length, list));
    }

    @Override
    public CallResult<Long> ptraceSeize(int pid, long options) {
        return ptrace("PTRACE_SEIZE", LinuxConstants.PTRACE_SEIZE, pid, NULL, new Pointer(options));
    }

    @Override
    public CallResult<Long> ptraceInterrupt(int pid) {
        return ptrace("PTRACE_INTERRUPT", LinuxConstants.PTRACE_INTERRUPT, pid, NULL, NULL);
    }

    @Override
    public CallResult<Long> ptraceAttach(int pid) {
        return ptrace("PTRACE_ATTACH", LinuxConstants.PTRACE_ATTACH, pid, NULL, NULL);
    }

    @Override
    public CallResult<Long> ptraceDetach(int pid, int signal) {
        return ptrace("PTRACE_DETACH", LinuxConstants.PTRACE_DETACH, pid, NULL, new Pointer(signal));
    }

    @Override
    public CallResult<Long> ptraceCont(int pid, int signal) {
        return ptrace("PTRACE_CONT", LinuxConstants.PTRACE_CONT, pid, NULL, new Pointer(signal));
    }

    @Override
    public CallResult<Long> ptracePeekData(int pid, long address) {
        // The raw syscall stores the word at *data: unlike glibc's wrapper, a word of -1 is not an error.
        Memory word = new Memory(8);
        long r = c.syscall(platform.number(Syscall.PTRACE), (long) LinuxConstants.PTRACE_PEEKDATA, (long) pid,
                new Pointer(address), word);
        return result("ptrace(PTRACE_PEEKDATA)", r).map(x -> word.getLong(0));
    }

    @Override
    public CallResult<Siginfo> ptraceGetSiginfo(int pid) {
        Memory si = new Memory(LinuxConstants.SIGINFO_SIZE);
        return ptrace("PTRACE_GETSIGINFO", LinuxConstants.PTRACE_GETSIGINFO, pid, NULL, si)
                .map(x -> new Siginfo(si.getInt(0), si.getInt(4), si.getInt(8)));
    }

    @Override
    public CallResult<long[]> ptraceGetRegset(int pid) {
        Memory regs = new Memory(platform.registers().size());
        Memory iov = new Memory(16);
        iov.setPointer(0, regs);
        iov.setLong(8, regs.size());
        // The kernel writes back into iov_len (at offset 8) how many bytes it filled.
        return ptrace("PTRACE_GETREGSET", LinuxConstants.PTRACE_GETREGSET, pid, new Pointer(LinuxConstants.NT_PRSTATUS), iov)
                .map(x -> regs.getLongArray(0, (int) (iov.getLong(8) / 8)));
    }

    @Override
    public CallResult<WaitStatus> waitpid(int pid, int options) {
        IntByReference status = new IntByReference();
        int r = c.waitpid(pid, status, options);
        return result("waitpid", r).map(x -> new WaitStatus(r, status.getValue()));
    }

    @Override
    public CallResult<Long> processVmReadv(int pid, long address, ByteBuffer destination) {
        return processVmReadv(pid, new long[] {address}, new int[] {destination.remaining()}, destination);
    }

    @Override
    public CallResult<Long> processVmReadv(int pid, long[] addresses, int[] lengths, ByteBuffer destination) {
        int n = addresses.length;
        long total = Scatter.total(addresses, lengths, destination);
        Memory local = new Memory(Math.max(total, 1));
        Memory localIov = new Memory(16);
        localIov.setPointer(0, local);
        localIov.setLong(8, total);
        Memory remote = new Memory(16L * Math.max(n, 1));
        for (int i = 0; i < n; i++) {
            remote.setPointer(16L * i, new Pointer(addresses[i]));
            remote.setLong(16L * i + 8, lengths[i]);
        }
        long r = c.process_vm_readv(pid, localIov, 1, remote, n, 0);
        CallResult<Long> res = result("process_vm_readv", r);
        if (res.ok() && r > 0) {
            destination.duplicate().put(local.getByteArray(0, (int) r));
        }
        return res;
    }

    @Override
    public CallResult<Long> prctl(int option, long arg2, long arg3, long arg4, long arg5) {
        return result("prctl", c.prctl(option, arg2, arg3, arg4, arg5));
    }

    @Override
    public CallResult<CapabilitySets> capget(int pid) {
        Memory header = new Memory(8);
        header.setInt(0, LinuxConstants.LINUX_CAPABILITY_VERSION_3);
        header.setInt(4, pid);
        Memory data = new Memory(24);
        data.clear();
        long r = c.syscall(platform.number(Syscall.CAPGET), header, data);
        return result("capget", r).map(x -> new CapabilitySets(
                join(data.getInt(0), data.getInt(12)), join(data.getInt(4), data.getInt(16)),
                join(data.getInt(8), data.getInt(20))));
    }

    @Override
    public CallResult<Long> capset(CapabilitySets sets) {
        Memory header = new Memory(8);
        header.setInt(0, LinuxConstants.LINUX_CAPABILITY_VERSION_3);
        header.setInt(4, 0);
        Memory data = new Memory(24);
        data.setInt(0, (int) sets.effective());
        data.setInt(4, (int) sets.permitted());
        data.setInt(8, (int) sets.inheritable());
        data.setInt(12, (int) (sets.effective() >>> 32));
        data.setInt(16, (int) (sets.permitted() >>> 32));
        data.setInt(20, (int) (sets.inheritable() >>> 32));
        return result("capset", c.syscall(platform.number(Syscall.CAPSET), header, data));
    }

    @Override
    public CallResult<Long> seccompSetModeFilter(int flags, List<BpfInstruction> program) {
        Memory filters = new Memory(8L * Math.max(program.size(), 1));
        for (int i = 0; i < program.size(); i++) {
            BpfInstruction ins = program.get(i);
            filters.setShort(8L * i, (short) ins.code());
            filters.setByte(8L * i + 2, (byte) ins.jt());
            filters.setByte(8L * i + 3, (byte) ins.jf());
            filters.setInt(8L * i + 4, ins.k());
        }
        Memory fprog = new Memory(16);
        fprog.clear();
        fprog.setShort(0, (short) program.size());
        fprog.setPointer(8, filters);
        return result("seccomp(SECCOMP_SET_MODE_FILTER)", c.syscall(platform.number(Syscall.SECCOMP),
                (long) LinuxConstants.SECCOMP_SET_MODE_FILTER, (long) flags, fprog));
    }

    @Override
    public CallResult<Long> kill(int pid, int signal) {
        return result("kill", c.kill(pid, signal));
    }

    @Override
    public CallResult<Long> write(int fd, ByteBuffer source) {
        int n = source.remaining();
        Memory from = new Memory(Math.max(n, 1));
        byte[] bytes = new byte[n];
        source.duplicate().get(bytes);
        from.write(0, bytes, 0, n);
        return result("write", c.write(fd, from, n));
    }

    @Override
    public CallResult<Long> tgkill(int tgid, int tid, int signal) {
        return result("tgkill", c.tgkill(tgid, tid, signal));
    }

    private CallResult<Long> ptrace(String request, int code, int pid, Pointer addr, Pointer data) {
        return result("ptrace(" + request + ")", c.ptrace(code, pid, addr, data));
    }

    private static CallResult<Long> result(String call, long value) {
        if (value == -1) {
            return new CallResult.Failed<>(call, Native.getLastError());
        }
        return new CallResult.Ok<>(call, value);
    }

    private static long join(int low, int high) {
        return Integer.toUnsignedLong(low) | (Integer.toUnsignedLong(high) << 32);
    }
}
