package dev.attachproof.ptrace;

import dev.attachproof.linux.CallResult;
import dev.attachproof.linux.Errno;
import dev.attachproof.linux.Linux;
import dev.attachproof.linux.LinuxConstants;
import dev.attachproof.linux.Siginfo;
import dev.attachproof.linux.WaitStatus;
import dev.attachproof.procfs.FileErrno;
import dev.attachproof.procfs.ProcFs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;

/**
 * An open attach: the target's threads seized and stopped, its memory readable, until
 * {@link #close()} detaches them. Every method runs on the tracer thread.
 *
 * <p>The stop protocol is ptrace(2)'s for seized tracees: PTRACE_INTERRUPT, then waitpid until
 * the thread reports a stop. Usually that is the PTRACE_EVENT_STOP the interrupt causes; if a
 * signal was on its way, the thread reports that signal's delivery stop first, and we keep the
 * signal to re-inject it with PTRACE_DETACH, so the target never loses it.
 */
public final class PtraceSession implements AutoCloseable {
    private static final int MAX_THREAD_ROUNDS = 16;

    private final Tracer tracer;
    private final Linux linux;
    private final ProcFs procfs;
    private final int pid;
    private final AttachMethod method;
    private final Set<Integer> seized = new LinkedHashSet<>();
    private final Map<Integer, Integer> pendingSignals = new HashMap<>();
    private final List<String> notes = new ArrayList<>();
    private StopPhases phases;
    private long stoppedNanos = -1;
    private boolean closed;
    private FileChannel memFile;
    private String lastReadMethod = "none";

    private PtraceSession(Tracer tracer, Linux linux, ProcFs procfs, int pid, AttachMethod method) {
        this.tracer = tracer;
        this.linux = linux;
        this.procfs = procfs;
        this.pid = pid;
        this.method = method;
    }

    static AttachResult open(Tracer tracer, Linux linux, ProcFs procfs, int pid, StopMode mode, Duration timeout) {
        prime(linux, procfs, pid);
        CallResult<Long> seize = linux.ptraceSeize(pid, 0);
        AttachMethod method = AttachMethod.SEIZE;
        if (seize instanceof CallResult.Failed<Long> f) {
            if (f.errno() == Errno.ESRCH) {
                return new AttachResult.NoSuchProcess(pid, f.describe());
            }
            if (f.errno() != Errno.EIO && f.errno() != Errno.EINVAL) {
                return new AttachResult.Denied(f);
            }
            // SEIZE itself is unknown to this kernel (before 3.4): PTRACE_ATTACH sends SIGSTOP.
            CallResult<Long> attach = linux.ptraceAttach(pid);
            if (attach instanceof CallResult.Failed<Long> af) {
                return af.errno() == Errno.ESRCH ? new AttachResult.NoSuchProcess(pid, af.describe())
                        : new AttachResult.Denied(af);
            }
            method = AttachMethod.ATTACH;
        }
        PtraceSession s = new PtraceSession(tracer, linux, procfs, pid, method);
        s.seized.add(pid);
        tracer.opened(s);
        s.phases = new StopPhases();
        try {
            AttachResult r = s.stopLeader(timeout);
            if (r != null) {
                s.close();
                return r;
            }
            if (mode == StopMode.ALL_THREADS) {
                s.stopOtherThreads(timeout);
            }
            return new AttachResult.Attached(s, method);
        } catch (RuntimeException | Error e) {
            s.close();
            throw e;
        }
    }

    /**
     * Makes, once, each call used while the target is stopped, on a pid we do not trace yet (the
     * kernel answers ECHILD or ESRCH and nothing happens), so that the binding's first-call costs
     * (linking, class loading: milliseconds) are paid before the target stops, not while. The
     * thread listing too: its directory stream and lambda, linked on the first call, took most of
     * the stop's "interrupt" phase (3 to 12 ms of a 5 to 18 ms stop of a small target).
     */
    private static void prime(Linux linux, ProcFs procfs, int pid) {
        procfs.tasks(pid);
        linux.waitpid(pid, LinuxConstants.WALL | LinuxConstants.WNOHANG);
        linux.ptraceInterrupt(pid);
        linux.ptraceDetach(pid, 0);
        linux.ptracePeekData(pid, 0);
        linux.ptraceGetRegset(pid);
        linux.processVmReadv(pid, 0, ByteBuffer.allocate(0));
        linux.processVmReadv(pid, new long[] {0}, new int[] {0}, ByteBuffer.allocateDirect(0));
    }

    public int pid() {
        return pid;
    }

    /** How this session attached. */
    public AttachMethod method() {
        return method;
    }

    /** The thread ids stopped by this session. */
    public Set<Integer> stoppedThreads() {
        return Set.copyOf(seized);
    }

    /** Whether the caller is this session's tracer thread (where every ptrace request must come from). */
    public boolean onTracerThread() {
        return tracer.isTracerThread();
    }

    /** Things worth telling: threads that exited meanwhile, signals held for re-injection. */
    public List<String> notes() {
        return List.copyOf(notes);
    }

    /** How the last memory read was done: "process_vm_readv", "/proc/PID/mem" or "PTRACE_PEEKDATA". */
    public String lastReadMethod() {
        return lastReadMethod;
    }

    /** Microseconds from the first PTRACE_INTERRUPT to the last detach; -1 while still open. */
    public long stoppedMicros() {
        return stoppedNanos < 0 ? -1 : stoppedNanos / 1000;
    }

    /**
     * The stop's lap clock: "interrupt" (listing the threads, seizing and interrupting them),
     * "wait" (until each reports its stop) and "detach" are charged here; the reader charges
     * what it does while the target is stopped between them ({@link StopPhases#lap}), on one
     * thread at a time. Once closed, the phases add up to {@link #stoppedMicros()}.
     */
    public StopPhases phases() {
        return phases;
    }

    /**
     * Reads {@code dst.remaining()} bytes at {@code address}: process_vm_readv, else
     * /proc/PID/mem, else PTRACE_PEEKDATA word by word (the last two work for a tracer even where
     * a seccomp filter forbids process_vm_readv). Returns the bytes read or the last failure.
     */
    public CallResult<Long> read(long address, ByteBuffer dst) {
        // Directly when already on the tracer thread: no hand-off (nor lambda) while the target is stopped.
        return tracer.isTracerThread() ? readOnTracer(address, dst) : tracer.call(() -> readOnTracer(address, dst));
    }

    /**
     * Reads up to {@link Linux#IOV_MAX} ranges in one process_vm_readv into {@code dst} (from its
     * position); returns the bytes read, which stop at the first range the kernel could not read.
     * Callers fall back to {@link #read} range by range where this fails (a seccomp filter that
     * forbids process_vm_readv, a range that is not mapped).
     */
    public CallResult<Long> readScattered(long[] addresses, int[] lengths, ByteBuffer dst) {
        // Any thread: process_vm_readv is not a ptrace request (the kernel checks only
        // ptrace_may_access), so helpers may copy in parallel while the tracer thread waits.
        requireOpen();
        return linux.processVmReadv(pid, addresses, lengths, dst);
    }

    private CallResult<Long> readOnTracer(long address, ByteBuffer dst) {
        requireOpen();
        CallResult<Long> r = linux.processVmReadv(pid, address, dst);
        if (r.ok()) {
            lastReadMethod = "process_vm_readv";
            return r;
        }
        if (r.errno() == Errno.EFAULT) {
            return r;   // the address is not mapped: no other method will do better
        }
        CallResult<Long> mem = readProcMem(address, dst);
        if (mem.ok()) {
            lastReadMethod = "/proc/PID/mem";
            return mem;
        }
        CallResult<Long> peek = readPeek(address, dst);
        if (peek.ok()) {
            lastReadMethod = "PTRACE_PEEKDATA";
        }
        return peek;
    }

    private CallResult<Long> readProcMem(long address, ByteBuffer dst) {
        String call = "pread(/proc/" + pid + "/mem)";
        try {
            if (memFile == null) {
                memFile = FileChannel.open(procfs.pidDir(pid).resolve("mem"), StandardOpenOption.READ);
            }
            ByteBuffer view = dst.duplicate();
            int n = memFile.read(view, address);
            return n < 0 ? new CallResult.Failed<>(call, Errno.EIO.number()) : new CallResult.Ok<>(call, (long) n);
        } catch (IOException e) {
            // The JDK's open and pread keep no errno number: FileErrno reads it from the
            // exception's type, or the strerror text that is the whole of a read error's message.
            Errno errno = FileErrno.of(e).orElse(Errno.UNKNOWN);
            return new CallResult.Failed<>(call, errno, errno.number());
        }
    }

    private CallResult<Long> readPeek(long address, ByteBuffer dst) {
        ByteBuffer view = dst.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        long read = 0;
        long aligned = address & ~7L;
        int skip = (int) (address - aligned);
        while (view.hasRemaining()) {
            CallResult<Long> w = linux.ptracePeekData(pid, aligned);
            if (!(w instanceof CallResult.Ok<Long> ok)) {
                return read > 0 ? new CallResult.Ok<>("ptrace(PTRACE_PEEKDATA)", read) : w;
            }
            long word = ok.value();
            for (int i = skip; i < 8 && view.hasRemaining(); i++, read++) {
                view.put((byte) (word >>> (8 * i)));
            }
            skip = 0;
            aligned += 8;
        }
        return new CallResult.Ok<>("ptrace(PTRACE_PEEKDATA)", read);
    }

    /**
     * The general registers of stopped thread {@code tid}, as PTRACE_GETREGSET fills the NT_PRSTATUS
     * set: words of this machine's {@code Platform.current().registers()} (x86_64: rip is word 16,
     * rsp word 19, fs_base word 21; aarch64: x0-x30 are words 0-30, sp 31, pc 32, pstate 33).
     */
    public CallResult<long[]> registers(int tid) {
        return tracer.isTracerThread() ? linux.ptraceGetRegset(tid) : tracer.call(() -> linux.ptraceGetRegset(tid));
    }

    /** Detaches every stopped thread, re-injecting held signals. Safe to call twice. */
    @Override
    public void close() {
        if (tracer.isTracerThread()) {
            closeOnTracer();
            return;
        }
        tracer.call(() -> {
            closeOnTracer();
            return null;
        });
    }

    private void closeOnTracer() {
        if (closed) {
            return;
        }
        closed = true;
        List<Integer> refused = new ArrayList<>();
        for (int tid : List.copyOf(seized)) {   // a copy: the threads that exit leave the set meanwhile
            if (linux.ptraceDetach(tid, pendingSignals.getOrDefault(tid, 0)).errno() == Errno.ESRCH) {
                refused.add(tid);
            }
        }
        release(refused);
        phases.lap("detach");
        stoppedNanos = phases.elapsedNanos();
        if (memFile != null) {
            try {
                memFile.close();
            } catch (IOException ignored) {
                // nothing to do: the descriptor is gone either way
            }
        }
        tracer.closed(this);
    }

    /** How long {@link #release} keeps at the threads DETACH refused. */
    private static final long RELEASE_NANOS = 2_000_000_000L;

    /**
     * The threads PTRACE_DETACH refused with ESRCH: seized but not in a stop (they get one
     * PTRACE_INTERRUPT, then are detached from the stop), or exiting or exited, when the target
     * was killed while we held it. A traced thread that exits stays a zombie until its tracer
     * waits for it, and only then goes back to its real parent (kernel/exit.c: wait_task_zombie
     * and exit_notify's ptrace branch); a thread-group leader reports only once its other
     * threads are gone (delay_group_leader). So each is waited for (__WALL|WNOHANG), round
     * after round, until it is detached or reaped, within {@link #RELEASE_NANOS}. Never the
     * exit of a process that is this JVM's own child: its exit status is its parent's (the JDK's
     * process reaper), which is here also its tracer, so no link is left behind.
     */
    private void release(List<Integer> tids) {
        List<Integer> left = new ArrayList<>(tids);
        Set<Integer> interrupted = new java.util.HashSet<>();
        boolean ourChild = procfs.status(pid).map(st -> st.ppid() == ProcessHandle.current().pid()).orElse(false);
        long deadline = System.nanoTime() + RELEASE_NANOS;
        long pause = 10_000;
        while (!left.isEmpty()) {
            for (java.util.Iterator<Integer> it = left.iterator(); it.hasNext(); ) {
                int tid = it.next();
                if (tid == pid && ourChild) {
                    it.remove();   // the JDK's reaper waits for it, as parent and tracer both
                    continue;
                }
                CallResult<WaitStatus> w = linux.waitpid(tid, LinuxConstants.WALL | LinuxConstants.WNOHANG);
                if (w instanceof CallResult.Failed<WaitStatus> f) {
                    if (f.errno() != Errno.EINTR) {
                        it.remove();   // ECHILD: no longer ours to wait for (reaped, or detached)
                        seized.remove(tid);
                    }
                    continue;
                }
                WaitStatus st = ((CallResult.Ok<WaitStatus>) w).value();
                if (!st.nothingYet() && (st.exited() || st.signaled())) {
                    it.remove();   // reaped as its tracer: its real parent can reap it now
                    seized.remove(tid);
                } else if (st.nothingYet() ? inTracingStop(tid) : st.stopped()) {
                    // A signal-delivery stop's signal is handed back; not our interrupt's, nor PTRACE_ATTACH's SIGSTOP.
                    int sig = st.stopped() && st.ptraceEvent() != LinuxConstants.PTRACE_EVENT_STOP
                            && !(method == AttachMethod.ATTACH && st.stopSignal() == LinuxConstants.SIGSTOP) ? st.stopSignal() : 0;
                    linux.ptraceDetach(tid, sig != 0 ? sig : pendingSignals.getOrDefault(tid, 0));
                    it.remove();
                } else if (interrupted.add(tid)) {
                    linux.ptraceInterrupt(tid);   // seized but running: a stop to detach from
                }
            }
            if (left.isEmpty()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                notes.add("threads " + left + " neither stopped nor exited within " + RELEASE_NANOS / 1_000_000
                        + " ms of the detach; the kernel detaches them when this process exits");
                return;
            }
            LockSupport.parkNanos(pause);
            pause = Math.min(pause * 2, 10_000_000);
        }
    }

    /** Stops the leader; null on success, else the reason (the caller closes the session). */
    private AttachResult stopLeader(Duration timeout) {
        if (method == AttachMethod.SEIZE) {
            CallResult<Long> intr = linux.ptraceInterrupt(pid);
            phases.lap("interrupt");
            if (intr instanceof CallResult.Failed<Long> f) {
                return f.errno() == Errno.ESRCH ? new AttachResult.NoSuchProcess(pid, f.describe())
                        : new AttachResult.Denied(f);
            }
        }
        Stop stop = waitForStop(pid, timeout);
        phases.lap("wait");
        return switch (stop) {
            case STOPPED -> null;
            case GONE -> new AttachResult.NoSuchProcess(pid, "exited while being attached");
            case TIMED_OUT -> new AttachResult.StopTimedOut(pid, timeout.toNanos() / 1000);
        };
    }

    private void stopOtherThreads(Duration timeout) {
        for (int round = 0; round < MAX_THREAD_ROUNDS; round++) {
            List<Integer> fresh = new ArrayList<>();
            for (int tid : procfs.tasks(pid)) {
                if (!seized.contains(tid) && linux.ptraceSeize(tid, 0).ok()) {
                    seized.add(tid);
                    linux.ptraceInterrupt(tid);
                    fresh.add(tid);
                }
            }
            phases.lap("interrupt");
            if (fresh.isEmpty()) {
                return;   // no thread started since the last scan: all are stopped
            }
            for (int tid : fresh) {
                if (waitForStop(tid, timeout) != Stop.STOPPED) {
                    notes.add("thread " + tid + " did not stop (exited, or stuck)");
                }
            }
            phases.lap("wait");
        }
        notes.add("threads kept appearing; stopped " + seized.size());
    }

    private enum Stop { STOPPED, GONE, TIMED_OUT }

    /** After this long without a waitpid report, look whether another thread consumed it. */
    private static final long CONSUMED_CHECK_NANOS = 20_000_000L;

    private boolean inTracingStop(int tid) {
        return procfs.status(tid).map(st -> st.state() == 't').orElse(false);
    }

    /**
     * The thread is in a tracing stop, but its report went to another thread of this process:
     * the kernel reports a child's ptrace stops to any plain waitpid of its parent's thread group
     * when the parent is also the tracer (kernel/exit.c, wait_consider_task), e.g. the JDK's
     * process reaper when the target is this JVM's child. PTRACE_GETSIGINFO tells our interrupt
     * stop from a signal-delivery stop, whose signal we must still hand back.
     */
    private Stop stoppedWithoutReport(int tid) {
        notes.add("the stop of thread " + tid + " was reported to another thread of this process (is the target a child of this JVM?)");
        CallResult<Siginfo> si = linux.ptraceGetSiginfo(tid);
        if (si instanceof CallResult.Ok<Siginfo> ok) {
            boolean interruptStop = ok.value().signo() == LinuxConstants.SIGTRAP
                    && (ok.value().code() >> 8) == LinuxConstants.PTRACE_EVENT_STOP;
            if (!interruptStop) {
                pendingSignals.put(tid, ok.value().signo());
            }
        }
        return Stop.STOPPED;   // EINVAL from GETSIGINFO: a group stop, nothing to hand back
    }

    /** Polls waitpid(tid, __WALL|WNOHANG) with back-off until a stop, an exit or the deadline. */
    private Stop waitForStop(int tid, Duration timeout) {
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        long pause = 0;
        while (true) {
            CallResult<WaitStatus> w = linux.waitpid(tid, LinuxConstants.WALL | LinuxConstants.WNOHANG);
            if (w instanceof CallResult.Failed<WaitStatus> f) {
                if (f.errno() != Errno.EINTR) {
                    seized.remove(tid);
                    return Stop.GONE;
                }
            } else if (w instanceof CallResult.Ok<WaitStatus> ok && !ok.value().nothingYet()) {
                WaitStatus st = ok.value();
                if (st.exited() || st.signaled()) {
                    seized.remove(tid);
                    return Stop.GONE;
                }
                if (st.stopped()) {
                    int sig = st.stopSignal();
                    boolean interruptStop = st.ptraceEvent() == LinuxConstants.PTRACE_EVENT_STOP;
                    boolean ourSigstop = method == AttachMethod.ATTACH && sig == LinuxConstants.SIGSTOP;
                    if (!interruptStop && !ourSigstop) {
                        // A signal-delivery stop: the signal is ours to hand back on detach.
                        pendingSignals.put(tid, sig);
                        notes.add("signal " + sig + " arrived while stopping thread " + tid + "; re-injected on detach");
                    }
                    return Stop.STOPPED;
                }
            }
            long now = System.nanoTime();
            if (now - start > CONSUMED_CHECK_NANOS && inTracingStop(tid)) {
                return stoppedWithoutReport(tid);
            }
            if (now > deadline) {
                return Stop.TIMED_OUT;
            }
            if (pause == 0) {
                Thread.onSpinWait();
                pause = 1_000;
            } else {
                LockSupport.parkNanos(pause);
                pause = Math.min(pause * 2, 1_000_000);
            }
        }
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("session for pid " + pid + " is closed");
        }
    }
}
