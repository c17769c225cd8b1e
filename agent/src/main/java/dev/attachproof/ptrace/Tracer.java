package dev.attachproof.ptrace;

import dev.attachproof.linux.Linux;
import dev.attachproof.procfs.ProcFs;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * The one thread that is the tracer. The kernel records the tracing *thread* on each tracee and
 * refuses ptrace requests from any other thread (ESRCH), so all of them, and the waitpid calls
 * that go with them, run here: {@link #call} hands work over and waits for it. It is a daemon
 * platform thread (a virtual thread may change carriers between two calls). A shutdown hook
 * detaches every session still open, through this thread.
 *
 * <p>Do not attach to a child of this JVM (one started with {@link ProcessBuilder}): when the
 * parent is also the tracer, the kernel reports the child's ptrace stops to any plain waitpid in
 * the parent's thread group (kernel/exit.c, wait_consider_task), so the JDK's process reaper
 * consumes them and marks the {@link Process} exited. Start such targets through a shell
 * ({@code sh -c 'prog & wait'}) so that they are grandchildren.
 */
public final class Tracer {
    private static volatile Tracer shared;

    private final Linux linux;
    private final ProcFs procfs;
    private final BlockingQueue<FutureTask<?>> work = new LinkedBlockingQueue<>();
    private final Set<PtraceSession> open = ConcurrentHashMap.newKeySet();
    private final Thread thread;

    public Tracer(Linux linux, ProcFs procfs) {
        this.linux = linux;
        this.procfs = procfs;
        this.thread = Thread.ofPlatform().name("attachproof-tracer").daemon(true).unstarted(this::loop);
        thread.start();
        Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().name("attachproof-detach").unstarted(this::detachAll));
    }

    /** The process-wide tracer on the system binding and the live /proc. */
    public static Tracer shared() {
        Tracer t = shared;
        if (t == null) {
            synchronized (Tracer.class) {
                if (shared == null) {
                    shared = new Tracer(Linux.system(), ProcFs.live());
                }
                t = shared;
            }
        }
        return t;
    }

    public Linux linux() {
        return linux;
    }

    /**
     * Seizes {@code pid} (the leader, or every thread), stops it and returns an open session, or
     * says why not. Always leaves the target running and untraced when it does not return
     * {@link AttachResult.Attached}.
     */
    public AttachResult attach(int pid, StopMode mode, Duration stopTimeout) {
        return call(() -> PtraceSession.open(this, linux, procfs, pid, mode, stopTimeout));
    }

    /** True on the tracer thread itself. */
    public boolean isTracerThread() {
        return Thread.currentThread() == thread;
    }

    /** Runs {@code task} on the tracer thread and returns its result (inline when already there). */
    public <T> T call(Callable<T> task) {
        if (Thread.currentThread() == thread) {
            try {
                return task.call();
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
        FutureTask<T> f = new FutureTask<>(task);
        work.add(f);
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the tracer thread worked", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    void opened(PtraceSession s) {
        open.add(s);
    }

    void closed(PtraceSession s) {
        open.remove(s);
    }

    /** Detaches every open session; used by the shutdown hook. */
    public void detachAll() {
        if (open.isEmpty() || !thread.isAlive()) {
            return;
        }
        for (PtraceSession s : Set.copyOf(open)) {
            s.close();
        }
    }

    private void loop() {
        while (true) {
            try {
                work.take().run();
            } catch (InterruptedException e) {
                return;
            }
        }
    }
}
