package dev.attachproof.linux;

import dev.attachproof.linux.generated.x86_64.LinuxHeaders;
import dev.attachproof.linux.generated.x86_64.__user_cap_data_struct;
import dev.attachproof.linux.generated.x86_64.__user_cap_header_struct;
import dev.attachproof.linux.generated.x86_64.iovec;
import dev.attachproof.linux.generated.x86_64.sock_filter;
import dev.attachproof.linux.generated.x86_64.sock_fprog;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.util.List;

import static dev.attachproof.linux.generated.x86_64.LinuxHeaders.C_INT;
import static dev.attachproof.linux.generated.x86_64.LinuxHeaders.C_LONG;
import static dev.attachproof.linux.generated.x86_64.LinuxHeaders.C_POINTER;

/**
 * The facade on the jextract-generated FFM bindings. jextract's own handles do not capture errno,
 * so each function is linked here again, from the generated descriptor and address, with
 * {@code Linker.Option.captureCallState("errno")}; the capture segment is allocated per call, in
 * the calling thread's confined arena, so no errno is ever shared between threads. ptrace, prctl
 * and syscall are variadic in glibc: they are linked with {@code firstVariadicArg}, from the
 * descriptor jextract's invoker would have for the argument layouts we pass ({@link #variadic}).
 *
 * <p>The function descriptors, structs and layouts are those of the x86_64 generation on both
 * arches: the two LP64 ABIs declare them alike (SharedAbiTest compares them with the aarch64
 * generation's), and their layouts are the native linker's own. What differs, the syscall
 * numbers and the register set, comes from this machine's {@link Platform}.
 */
public final class FfmLinux implements Linux {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option ERRNO_OPTION = Linker.Option.captureCallState("errno");

    // Each handle is linked on first use, in a holder class of its own: linking one generates its
    // downcall stub (hidden classes, lambda forms) for 10 to 20 ms of a cold start, and a command
    // uses a few of the fourteen (a goroutine snapshot spent about 300 ms linking them all).

    /** long ptrace(int request, pid_t pid, void *addr, void *data) */
    private static final class Ptrace {
        static final MethodHandle H = variadic(LinuxHeaders.ptrace.address(), PTRACE_FIXED, C_INT, C_POINTER, C_POINTER);
    }

    /** long syscall(long nr, long, long, void *, void *): the raw ptrace syscall for PEEKDATA */
    private static final class SyscallLlpp {
        static final MethodHandle H = variadic(LinuxHeaders.syscall.address(), SYSCALL_FIXED, C_LONG, C_LONG, C_POINTER, C_POINTER);
    }

    /** long syscall(long nr, void *, void *): capget, capset */
    private static final class SyscallPp {
        static final MethodHandle H = variadic(LinuxHeaders.syscall.address(), SYSCALL_FIXED, C_POINTER, C_POINTER);
    }

    /** long syscall(long nr, long op, long flags, void *args): seccomp */
    private static final class SyscallLlp {
        static final MethodHandle H = variadic(LinuxHeaders.syscall.address(), SYSCALL_FIXED, C_LONG, C_LONG, C_POINTER);
    }

    /** long syscall(long nr, long, long, long): setresuid, setresgid */
    private static final class SyscallLll {
        static final MethodHandle H = variadic(LinuxHeaders.syscall.address(), SYSCALL_FIXED, C_LONG, C_LONG, C_LONG);
    }

    /** long syscall(long nr, long, void *): setgroups */
    private static final class SyscallLp {
        static final MethodHandle H = variadic(LinuxHeaders.syscall.address(), SYSCALL_FIXED, C_LONG, C_POINTER);
    }

    /** int prctl(int option, unsigned long arg2, arg3, arg4, arg5) */
    private static final class Prctl {
        static final MethodHandle H = variadic(LinuxHeaders.prctl.address(), PRCTL_FIXED, C_LONG, C_LONG, C_LONG, C_LONG);
    }

    private static final class Waitpid {
        static final MethodHandle H = fixed(LinuxHeaders.waitpid$address(), LinuxHeaders.waitpid$descriptor());
    }

    private static final class ProcessVmReadv {
        static final MethodHandle H = fixed(LinuxHeaders.process_vm_readv$address(),
                LinuxHeaders.process_vm_readv$descriptor());
    }

    private static final class Kill {
        static final MethodHandle H = fixed(LinuxHeaders.kill$address(), LinuxHeaders.kill$descriptor());
    }

    private static final class Write {
        static final MethodHandle H = fixed(LinuxHeaders.write$address(), LinuxHeaders.write$descriptor());
    }

    private static final class Tgkill {
        static final MethodHandle H = fixed(LinuxHeaders.tgkill$address(), LinuxHeaders.tgkill$descriptor());
    }

    private static final class Getresuid {
        static final MethodHandle H = fixed(LinuxHeaders.getresuid$address(), LinuxHeaders.getresuid$descriptor());
    }

    private static final class Getresgid {
        static final MethodHandle H = fixed(LinuxHeaders.getresgid$address(), LinuxHeaders.getresgid$descriptor());
    }

    private final Platform platform = Platform.current();

    private static MethodHandle fixed(MemorySegment address, FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(address, descriptor, ERRNO_OPTION);
    }

    /**
     * The fixed part of jextract's descriptor of each variadic function (the generated class's
     * private BASE_DESC): the return and the named arguments. Its {@code makeInvoker(layouts)}
     * gives the whole descriptor, but links a downcall handle and a spreader of its own to do so,
     * which nothing here calls (ours captures errno): 6 to 11 ms of a cold start for each
     * variadic shape. FfmLinuxDescriptorsTest checks what {@link #variadic} builds against
     * {@code makeInvoker}'s, shape by shape.
     */
    static final FunctionDescriptor PTRACE_FIXED = FunctionDescriptor.of(C_LONG, C_INT);
    static final FunctionDescriptor SYSCALL_FIXED = FunctionDescriptor.of(C_LONG, C_LONG);
    static final FunctionDescriptor PRCTL_FIXED = FunctionDescriptor.of(C_INT, C_INT);

    /** jextract's descriptor of a variadic call: {@code fixed}'s layouts, then {@code variadic}'s, as its makeInvoker appends them. */
    static FunctionDescriptor variadicDescriptor(FunctionDescriptor fixed, MemoryLayout... variadic) {
        return fixed.appendArgumentLayouts(variadic);
    }

    private static MethodHandle variadic(MemorySegment address, FunctionDescriptor fixed, MemoryLayout... variadic) {
        return LINKER.downcallHandle(address, variadicDescriptor(fixed, variadic), ERRNO_OPTION,
                Linker.Option.firstVariadicArg(fixed.argumentLayouts().size()));
    }

    @Override
    public String binding() {
        return "ffm";
    }

    @Override
    public int getpid() {
        return LinuxHeaders.getpid();
    }

    @Override
    public int gettid() {
        return LinuxHeaders.gettid();
    }

    @Override
    public CallResult<Ids> getresuid() {
        return ids("getresuid", Getresuid.H);
    }

    @Override
    public CallResult<Ids> getresgid() {
        return ids("getresgid", Getresgid.H);
    }

    private static CallResult<Ids> ids(String call, MethodHandle h) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            MemorySegment ids = arena.allocate(C_INT, 3);
            int r = (int) h.invokeExact(state, ids, ids.asSlice(4), ids.asSlice(8));
            return result(call, r, state).map(x -> new Ids(ids.getAtIndex(C_INT, 0), ids.getAtIndex(C_INT, 1), ids.getAtIndex(C_INT, 2)));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public CallResult<Long> setresuidThisThread(int ruid, int euid, int suid) {
        return setres("setresuid", platform.number(Syscall.SETRESUID), ruid, euid, suid);
    }

    @Override
    public CallResult<Long> setresgidThisThread(int rgid, int egid, int sgid) {
        return setres("setresgid", platform.number(Syscall.SETRESGID), rgid, egid, sgid);
    }

    /** The raw syscall, not glibc's wrapper, which would change every thread's ids (setresuid(2)). */
    private static CallResult<Long> setres(String call, int number, int real, int effective, int saved) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            // Passed as longs: glibc's syscall() reads each variadic argument as a long. The
            // kernel takes the low 32 bits as uid_t/gid_t, so -1 stays "unchanged".
            long r = (long) SyscallLll.H.invokeExact(state, (long) number, (long) real, (long) effective, (long) saved);
            return result(call, r, state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public CallResult<Long> setgroupsThisThread(int[] groups) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            MemorySegment list = groups.length == 0 ? MemorySegment.NULL : arena.allocateFrom(C_INT, groups);
            long r = (long) SyscallLp.H.invokeExact(state, (long) platform.number(Syscall.SETGROUPS), (long) groups.length, list);
            return result("setgroups", r, state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public CallResult<Long> ptraceSeize(int pid, long options) {
        return ptrace("PTRACE_SEIZE", LinuxConstants.PTRACE_SEIZE, pid, 0, options);
    }

    @Override
    public CallResult<Long> ptraceInterrupt(int pid) {
        return ptrace("PTRACE_INTERRUPT", LinuxConstants.PTRACE_INTERRUPT, pid, 0, 0);
    }

    @Override
    public CallResult<Long> ptraceAttach(int pid) {
        return ptrace("PTRACE_ATTACH", LinuxConstants.PTRACE_ATTACH, pid, 0, 0);
    }

    @Override
    public CallResult<Long> ptraceDetach(int pid, int signal) {
        return ptrace("PTRACE_DETACH", LinuxConstants.PTRACE_DETACH, pid, 0, signal);
    }

    @Override
    public CallResult<Long> ptraceCont(int pid, int signal) {
        return ptrace("PTRACE_CONT", LinuxConstants.PTRACE_CONT, pid, 0, signal);
    }

    @Override
    public CallResult<Long> ptracePeekData(int pid, long address) {
        // The raw syscall stores the word at *data: unlike glibc's wrapper, a word of -1 is not an error.
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            MemorySegment word = arena.allocate(ValueLayout.JAVA_LONG);
            long r = (long) SyscallLlpp.H.invokeExact(state, (long) platform.number(Syscall.PTRACE),
                    (long) LinuxConstants.PTRACE_PEEKDATA, (long) pid, MemorySegment.ofAddress(address), word);
            return result("ptrace(PTRACE_PEEKDATA)", r, state).map(x -> word.get(ValueLayout.JAVA_LONG, 0));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public CallResult<Siginfo> ptraceGetSiginfo(int pid) {
        try (Arena arena = Arena.ofConfined()) {
            // siginfo_t is not generated (its anonymous union trips jextract on libclang 19): its
            // size is __SI_MAX_SIZE and its head three ints, which is all we read.
            MemorySegment si = arena.allocate(LinuxConstants.SIGINFO_SIZE, 8);
            CallResult<Long> r = ptrace(arena, "PTRACE_GETSIGINFO", LinuxConstants.PTRACE_GETSIGINFO, pid, MemorySegment.NULL, si);
            return r.map(x -> new Siginfo(si.get(C_INT, 0), si.get(C_INT, 4), si.get(C_INT, 8)));
        }
    }

    @Override
    public CallResult<long[]> ptraceGetRegset(int pid) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment regs = arena.allocate(platform.registers().size(), 8);
            MemorySegment iov = arena.allocate(iovec.layout());
            iovec.iov_base(iov, regs);
            iovec.iov_len(iov, regs.byteSize());
            CallResult<Long> r = ptrace(arena, "PTRACE_GETREGSET", LinuxConstants.PTRACE_GETREGSET, pid,
                    MemorySegment.ofAddress(LinuxConstants.NT_PRSTATUS), iov);
            // The kernel wrote back in iov_len how many bytes it filled. The words are taken even
            // when the call failed (iov_len is then the whole set, zeroes): a first call on a pid
            // not traced links this path too, so that the first one on a stopped target costs
            // microseconds, not the milliseconds a first toArray took (5 to 46 ms of a stop).
            long[] words = regs.asSlice(0, iovec.iov_len(iov) / 8 * 8).toArray(ValueLayout.JAVA_LONG);
            return r.map(x -> words);
        }
    }

    private CallResult<Long> ptrace(String name, int request, int pid, long addr, long data) {
        try (Arena arena = Arena.ofConfined()) {
            return ptrace(arena, name, request, pid, MemorySegment.ofAddress(addr), MemorySegment.ofAddress(data));
        }
    }

    private static CallResult<Long> ptrace(Arena arena, String name, int request, int pid, MemorySegment addr, MemorySegment data) {
        try {
            MemorySegment state = arena.allocate(CAPTURE);
            long r = (long) Ptrace.H.invokeExact(state, request, pid, addr, data);
            return result("ptrace(" + name + ")", r, state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public CallResult<WaitStatus> waitpid(int pid, int options) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            MemorySegment status = arena.allocate(C_INT);
            int r = (int) Waitpid.H.invokeExact(state, pid, status, options);
            return result("waitpid", r, state).map(x -> new WaitStatus(r, status.get(C_INT, 0)));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public CallResult<Long> processVmReadv(int pid, long address, ByteBuffer destination) {
        return processVmReadv(pid, new long[] {address}, new int[] {destination.remaining()}, destination);
    }

    @Override
    public CallResult<Long> processVmReadv(int pid, long[] addresses, int[] lengths, ByteBuffer destination) {
        int n = addresses.length;
        long total = Scatter.total(addresses, lengths, destination);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            MemorySegment local = destination.isDirect()
                    ? MemorySegment.ofBuffer(destination) : arena.allocate(Math.max(total, 1));
            MemorySegment localIov = arena.allocate(iovec.layout());
            iovec.iov_base(localIov, local);
            iovec.iov_len(localIov, total);
            MemorySegment remote = arena.allocate(iovec.layout(), Math.max(n, 1));
            // Filled as plain words (struct iovec is {void *iov_base; size_t iov_len}, the generated
            // layout's two 8-byte fields): 1,024 struct writes through accessors cost more than the
            // copy they describe.
            java.nio.LongBuffer words = remote.asByteBuffer().order(java.nio.ByteOrder.nativeOrder()).asLongBuffer();
            for (int i = 0; i < n; i++) {
                words.put(2 * i, addresses[i]);
                words.put(2 * i + 1, lengths[i]);
            }
            long r = (long) ProcessVmReadv.H.invokeExact(state, pid, localIov, 1L, remote, (long) n, 0L);
            CallResult<Long> res = result("process_vm_readv", r, state);
            if (res.ok() && r > 0 && !destination.isDirect()) {
                destination.duplicate().put(local.asSlice(0, r).asByteBuffer());
            }
            return res;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public CallResult<Long> prctl(int option, long arg2, long arg3, long arg4, long arg5) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            int r = (int) Prctl.H.invokeExact(state, option, arg2, arg3, arg4, arg5);
            return result("prctl", r, state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public CallResult<CapabilitySets> capget(int pid) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            MemorySegment header = capHeader(arena, pid);
            MemorySegment[] data = capData(arena);
            long r = (long) SyscallPp.H.invokeExact(state, (long) platform.number(Syscall.CAPGET), header, data[0]);
            return result("capget", r, state).map(x -> new CapabilitySets(
                    join(__user_cap_data_struct.effective(data[0]), __user_cap_data_struct.effective(data[1])),
                    join(__user_cap_data_struct.permitted(data[0]), __user_cap_data_struct.permitted(data[1])),
                    join(__user_cap_data_struct.inheritable(data[0]), __user_cap_data_struct.inheritable(data[1]))));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public CallResult<Long> capset(CapabilitySets sets) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            MemorySegment header = capHeader(arena, 0);
            MemorySegment[] data = capData(arena);
            for (int word = 0; word < 2; word++) {
                __user_cap_data_struct.effective(data[word], (int) (sets.effective() >>> (32 * word)));
                __user_cap_data_struct.permitted(data[word], (int) (sets.permitted() >>> (32 * word)));
                __user_cap_data_struct.inheritable(data[word], (int) (sets.inheritable() >>> (32 * word)));
            }
            long r = (long) SyscallPp.H.invokeExact(state, (long) platform.number(Syscall.CAPSET), header, data[0]);
            return result("capset", r, state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** A version-3 capability header for {@code pid} (0: the calling thread). */
    private static MemorySegment capHeader(Arena arena, int pid) {
        MemorySegment header = arena.allocate(__user_cap_header_struct.layout());
        __user_cap_header_struct.version(header, LinuxConstants.LINUX_CAPABILITY_VERSION_3);
        __user_cap_header_struct.pid(header, pid);
        return header;
    }

    /** The two consecutive data structs of version 3: capabilities 0-31, then 32-63. */
    private static MemorySegment[] capData(Arena arena) {
        MemorySegment data = arena.allocate(__user_cap_data_struct.layout(), 2);
        return new MemorySegment[] {data.asSlice(0, __user_cap_data_struct.layout()),
            data.asSlice(__user_cap_data_struct.sizeof(), __user_cap_data_struct.layout())};
    }

    @Override
    public CallResult<Long> seccompSetModeFilter(int flags, List<BpfInstruction> program) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            MemorySegment filters = arena.allocate(sock_filter.layout(), Math.max(program.size(), 1));
            for (int i = 0; i < program.size(); i++) {
                MemorySegment f = filters.asSlice(i * sock_filter.sizeof(), sock_filter.layout());
                BpfInstruction ins = program.get(i);
                sock_filter.code(f, (short) ins.code());
                sock_filter.jt(f, (byte) ins.jt());
                sock_filter.jf(f, (byte) ins.jf());
                sock_filter.k(f, ins.k());
            }
            MemorySegment prog = arena.allocate(sock_fprog.layout());
            sock_fprog.len(prog, (short) program.size());
            sock_fprog.filter(prog, filters);
            long r = (long) SyscallLlp.H.invokeExact(state, (long) platform.number(Syscall.SECCOMP),
                    (long) LinuxConstants.SECCOMP_SET_MODE_FILTER, (long) flags, prog);
            return result("seccomp(SECCOMP_SET_MODE_FILTER)", r, state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public CallResult<Long> kill(int pid, int signal) {
        return simple("kill", Kill.H, pid, signal);
    }

    @Override
    public CallResult<Long> write(int fd, ByteBuffer source) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            int n = source.remaining();
            MemorySegment from = source.isDirect() ? MemorySegment.ofBuffer(source) : arena.allocate(Math.max(n, 1));
            if (!source.isDirect()) {
                MemorySegment.copy(MemorySegment.ofBuffer(source), 0, from, 0, n);
            }
            long r = (long) Write.H.invokeExact(state, fd, from, (long) n);
            return result("write", r, state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public CallResult<Long> tgkill(int tgid, int tid, int signal) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            int r = (int) Tgkill.H.invokeExact(state, tgid, tid, signal);
            return result("tgkill", r, state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static CallResult<Long> simple(String call, MethodHandle h, int a, int b) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            int r = (int) h.invokeExact(state, a, b);
            return result(call, r, state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static CallResult<Long> result(String call, long value, MemorySegment state) {
        if (value == -1) {
            return new CallResult.Failed<>(call, (int) ERRNO.get(state, 0L));
        }
        return new CallResult.Ok<>(call, value);
    }

    private static long join(int low, int high) {
        return Integer.toUnsignedLong(low) | (Integer.toUnsignedLong(high) << 32);
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException re) {
            throw re;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }
}
