package dev.attachproof.snapshot;

import dev.attachproof.delve.GoVersion;
import dev.attachproof.dwarf.StructType;
import dev.attachproof.elf.ElfFile;
import dev.attachproof.elf.ElfFormatException;
import dev.attachproof.buildinfo.GoBuildInfo;
import dev.attachproof.buildinfo.GoExecutable;
import dev.attachproof.cache.BinaryCache;
import dev.attachproof.golang.Arch;
import dev.attachproof.golang.GoDebug;
import dev.attachproof.golang.GoRuntime;
import dev.attachproof.golang.Goroutine;
import dev.attachproof.golang.GoroutineList;
import dev.attachproof.golang.GoroutineReader;
import dev.attachproof.golang.Labels;
import dev.attachproof.golang.LoadBias;
import dev.attachproof.golang.RuntimeLayout;
import dev.attachproof.golang.RuntimeLayouts;
import dev.attachproof.golang.SemTable;
import dev.attachproof.golang.Traceback;
import dev.attachproof.golang.WaitObjects;
import dev.attachproof.golang.WaitReader;
import dev.attachproof.golang.Waits;
import dev.attachproof.linux.CallResult;
import dev.attachproof.linux.Linux;
import dev.attachproof.memory.CapturedMemory;
import dev.attachproof.memory.CopyBuffers;
import dev.attachproof.memory.MemoryReader;
import dev.attachproof.memory.SessionMemory;
import dev.attachproof.memory.VmMemory;
import dev.attachproof.pclntab.Pclntab;
import dev.attachproof.procfs.Mapping;
import dev.attachproof.procfs.ProcFs;
import dev.attachproof.ptrace.AttachResult;
import dev.attachproof.ptrace.PtraceSession;
import dev.attachproof.ptrace.StopMode;
import dev.attachproof.ptrace.StopPhases;
import dev.attachproof.ptrace.Tracer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import java.util.List;
import java.util.Optional;

/**
 * Every goroutine of a Go process, with its stack, as Go's own traceback would print it.
 *
 * @param stopped       whether every thread was stopped for the read (false: --no-stop, may be inconsistent)
 * @param stoppedMicros how long the target was stopped, -1 when it was not
 * @param layoutSource  "dwarf" or "table go1.22-amd64"
 * @param listMethod    how runtime.allgs was found: "symbols", "dwarf", "code of runtime.allgadd"
 * @param takenNanos    System.nanoTime() (CLOCK_MONOTONIC, the clock of the target's nanotime) at the read
 * @param phaseMicros   where the time went: "binary", "precopy" (the copy made before the stop), the phases of
 *                      the stop ({@link #stopPhaseMicros()}: they add up to stoppedMicros), "unwind"
 * @param labelsShown   whether the target's Go prints pprof labels in its goroutine headers (Go
 *                      1.26 on, with GODEBUG tracebacklabels=1 in its environment or build)
 * @param profile       what the target's own goroutine profile would say besides the stacks
 * @param stacksKept    how many goroutines kept the stack copied while the target ran (unchanged
 *                      at the stop), -1 when nothing was copied before the stop; the others'
 *                      stacks were copied while it was stopped
 * @param maxStopMicros the limit the stop was given (--max-stop), -1 for none: past it the target
 *                      is let go, and the stacks not yet copied are read while it runs (the
 *                      entries {@link Entry#readAfterStop})
 * @param binaryCache   whether what the binary says came from the cache of an earlier snapshot's
 *                      findings ({@link CachedFindings})
 * @param waiting       what each blocked goroutine waits on, when the snapshot read it ({@link Reading#waits})
 */
public record GoroutineSnapshot(int pid, String goVersion, String arch, boolean stopped, long stoppedMicros,
                                String layoutSource, String listMethod, long takenNanos, List<Entry> goroutines,
                                List<String> notes, Map<String, Long> phaseMicros, boolean labelsShown,
                                ProfileFacts profile, int stacksKept, long maxStopMicros, CacheUse binaryCache,
                                Waiting waiting) {
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(2);

    /**
     * One goroutine: its g, whether Go counts it a system goroutine (hidden in Go's dumps), its
     * stack, what created it, and the thread running it or blocked in its syscall (null when none is).
     *
     * @param readAfterStop whether its stack was read after the target was let go (the stop reached
     *                      its limit first): it may not be where its g, read while stopped, says
     */
    public record Entry(Goroutine g, boolean system, Traceback.Stack stack, Optional<Traceback.CreatedBy> createdBy,
                        Integer threadId, String startFunction, Map<String, String> labels, boolean readAfterStop) {}

    /**
     * Waits until every goroutine of a progressive snapshot is unwound (at once for any other),
     * so that {@link #phaseMicros} holds "unwind" and is no longer written to.
     *
     * @throws UnwindFailed when the unwinding failed
     */
    public void awaitUnwound() {
        if (goroutines instanceof Unwinding u) {
            try {
                u.awaitAll();
            } catch (SnapshotException e) {
                throw new UnwindFailed(e);
            }
        }
    }

    /** How many goroutines' stacks were read after the target was let go ({@link Entry#readAfterStop}). */
    public long readAfterStop() {
        return counted(false);
    }

    /** How many goroutines Go counts system goroutines ({@link Entry#system}): hidden in its dumps. */
    public long systemGoroutines() {
        return counted(true);
    }

    /**
     * How many entries are system goroutines ({@code systemOnes}) or were read after the stop:
     * counted by the unwinding as it goes, since entries read once are gone by the time one asks.
     */
    private long counted(boolean systemOnes) {
        if (goroutines instanceof Unwinding u) {
            awaitUnwound();
            return u.counted(systemOnes);
        }
        return goroutines.stream().filter(systemOnes ? Entry::system : Entry::readAfterStop).count();
    }

    /**
     * What Go's goroutine profile of the target says besides its stacks.
     *
     * @param mappings   the target's executable mappings, as runtime/pprof lists them (proto.go
     *                   parseProcSelfMaps: every mapping with x in its permissions and a file name)
     * @param stackDepth the most frames Go records of one goroutine's stack (runtime/mprof.go saveg):
     *                   32 before Go 1.23 (StackRecord.Stack0), from 1.23 GODEBUG profstackdepth
     *                   (runtime1.go: default 128, at most 1,024)
     */
    public record ProfileFacts(List<ExecutableMapping> mappings, int stackDepth) {}

    /**
     * One executable mapping of the target.
     *
     * @param file    as /proc/PID/maps names it, " (deleted)" taken off (the path in the target's mount namespace)
     * @param buildId the file's GNU build id in hex, "" when it has none or cannot be read: what
     *                runtime/pprof/elf.go's elfBuildID gives (not the Go build id; Go writes a GNU
     *                one into its binaries from Go 1.24 on)
     */
    public record ExecutableMapping(long start, long limit, long offset, String file, String buildId) {}

    /** What the binary says, read before the target is touched. */
    private record Binary(ElfFile elf, GoBuildInfo info, Arch arch, GoRuntime runtime, RuntimeLayout layout,
                          String layoutSource, List<String> layoutNotes, GoroutineList list, long bias, GoroutineReader reader,
                          boolean labelsShown, String environGodebug, ProfileFacts profile, CacheUse cacheUse,
                          WaitSources waits) {
        Pclntab tab() {
            return runtime.pclntab();
        }

        /** The reader of what goroutines wait on; null until {@link WaitSources#resolve}, or when the layout lacks what it needs. */
        WaitReader waitReader() {
            return waits.reader();
        }

        /** What names the objects goroutines wait on; null until {@link WaitSources#resolve}. */
        WaitObjects waitObjects() {
            return waits.objects();
        }

        Traceback traceback(MemoryReader stacks, Pclntab tab) {
            return new Traceback(stacks, tab, bias, arch, runtime.elision());
        }

        /** Where an m holds its thread's id (m.procid), -1 when the layout does not say. */
        long procidOffset() {
            return layout.member("runtime.m", "procid").map(StructType.Member::offset).orElse(-1L);
        }
    }

    /**
     * Takes a snapshot of {@code pid}: stops every thread unless {@code noStop}, reads, detaches;
     * what the binary says is kept in the cache the environment names ({@link BinaryCache#fromEnvironment}).
     *
     * @throws SnapshotException for a process that is not there, not Go, not readable, or a Go
     *                           release neither the table nor the binary's DWARF describes
     */
    public static GoroutineSnapshot take(int pid, boolean noStop, Tracer tracer, ProcFs procfs, Linux linux)
            throws SnapshotException {
        return take(pid, noStop, null, tracer, procfs, linux, BinaryCache.fromEnvironment(System.getenv()));
    }

    /** As {@link #take(int, boolean, Tracer, ProcFs, Linux)}, with what the binary says kept in {@code cache}. */
    public static GoroutineSnapshot take(int pid, boolean noStop, Tracer tracer, ProcFs procfs, Linux linux,
                                         BinaryCache cache) throws SnapshotException {
        return take(pid, noStop, null, tracer, procfs, linux, cache);
    }

    /**
     * {@link #take(int, boolean, Tracer, ProcFs, Linux)} with a limit on the stop ({@code null}:
     * none): once {@code maxStop} has passed since the stop began, no more is copied while the
     * target is stopped; it is let go, and the stacks still to copy are read while it runs.
     */
    public static GoroutineSnapshot take(int pid, boolean noStop, Duration maxStop, Tracer tracer, ProcFs procfs,
                                         Linux linux) throws SnapshotException {
        return take(pid, noStop, maxStop, tracer, procfs, linux, BinaryCache.fromEnvironment(System.getenv()));
    }

    /** The snapshot, its stop limited to {@code maxStop} (null: none), what the binary says kept in {@code cache}. */
    public static GoroutineSnapshot take(int pid, boolean noStop, Duration maxStop, Tracer tracer, ProcFs procfs,
                                         Linux linux, BinaryCache cache) throws SnapshotException {
        return take(pid, noStop, maxStop, tracer, procfs, linux, cache, Reading.ALL);
    }

    /**
     * What a snapshot reads besides the goroutines and their stacks, and how it hands them over.
     *
     * @param waits       what each blocked goroutine waits on (JSON's waitingOn, {@code --waits},
     *                    {@code --group}'s shared object): read while the target is stopped, it
     *                    lengthens the stop, so the text dump, which does not show it, leaves it out
     * @param progressive a stopped snapshot is returned as soon as the target runs again, its
     *                    goroutines still being unwound: reading an entry waits for it ({@link
     *                    Unwinding}), so that a writer writes the first while the last are unwound,
     *                    and a failure of the unwinding is thrown to the reader ({@link
     *                    UnwindFailed}); "unwind" is in {@link #phaseMicros} after {@link #awaitUnwound}
     * @param once        (progressive only) the entries are read once, in order, by one reader
     *                    (the text dump), each let go as it is read: reading one again gives null.
     *                    At 1,000,000 goroutines the entries kept were 400 MB of the heap, and the
     *                    young collections that copied them took 180 ms of the unwinding.
     *                    {@link #systemGoroutines} and {@link #readAfterStop} still count them all
     */
    public record Reading(boolean waits, boolean progressive, boolean once) {
        /** Everything, unwound before the snapshot is returned: what the library and the JSON give. */
        public static final Reading ALL = new Reading(true, false, false);

        public Reading {
            if (once && !progressive) {
                throw new IllegalArgumentException("entries read once are handed over progressively");
            }
        }

        /** Entries kept: read as often as wanted. */
        public Reading(boolean waits, boolean progressive) {
            this(waits, progressive, false);
        }
    }

    /** {@link #take(int, boolean, Duration, Tracer, ProcFs, Linux, BinaryCache)}, reading as {@code reading} says. */
    public static GoroutineSnapshot take(int pid, boolean noStop, Duration maxStop, Tracer tracer, ProcFs procfs,
                                         Linux linux, BinaryCache cache, Reading reading) throws SnapshotException {
        Map<String, Long> phases = new java.util.LinkedHashMap<>();
        long t0 = System.nanoTime();
        Binary bin = readBinary(pid, procfs, cache);
        if (reading.waits()) {
            bin.waits().resolve();
        }
        phases.put("binary", (System.nanoTime() - t0) / 1000);
        if (noStop) {
            MemoryReader mem = new VmMemory(linux, pid);
            long t = System.nanoTime();
            List<Entry> entries;
            Waits waits;
            try {
                StopPhases clock = new StopPhases();
                CopyBuffers pool = new CopyBuffers();
                Captured c = capture(bin, mem, null, pool, pool, true, clock, null, CapturedMemory.NO_DEADLINE);
                waits = readWaits(bin, reading, mem, c, clock, CapturedMemory.NO_DEADLINE, null);
                if (bin.waitReader() != null) {
                    bin.waitReader().release();
                }
                phases.putAll(clock.micros());
                long u0 = System.nanoTime();
                entries = unwind(bin, c, false, procfs);
                phases.put("unwind", (System.nanoTime() - u0) / 1000);
            } catch (MemoryReader.MemoryReadException e) {
                throw new SnapshotException("reading the goroutines failed: " + e.getMessage());
            }
            Waiting waiting = Waiting.of(reading.waits(), waits, bin.waitObjects());
            return new GoroutineSnapshot(pid, bin.info().goVersion(), bin.elf().arch(), false, -1, bin.layoutSource(),
                    bin.list().method(), t, entries, java.util.stream.Stream.concat(bin.layoutNotes().stream(), java.util.stream.Stream.of(
                    "read without stopping the target: goroutines may have moved while they were read, and running ones "
                    + "have no stack (stop it for a consistent snapshot)")).toList(),
                    java.util.Collections.unmodifiableMap(phases), bin.labelsShown(), bin.profile(), -1, -1, bin.cacheUse(),
                    waiting);
        }
        return onTracer(tracer, () -> takeStopped(pid, bin, tracer, procfs, linux, phases, null, () -> { }, maxStop,
                reading));
    }

    /**
     * A stopped snapshot as {@link #take} takes it, running {@code beforeStop} between the copy
     * made while the target runs and the stop: for tests, which change the target there.
     */
    static GoroutineSnapshot take(int pid, Tracer tracer, ProcFs procfs, Linux linux, Runnable beforeStop)
            throws SnapshotException {
        Map<String, Long> phases = new java.util.LinkedHashMap<>();
        Binary bin = readBinary(pid, procfs, BinaryCache.off());
        bin.waits().resolve();
        return onTracer(tracer, () -> takeStopped(pid, bin, tracer, procfs, linux, phases, null, beforeStop, null,
                Reading.ALL));
    }

    /** A stopped snapshot with what it read of the target ({@link TargetCapture}, its text not yet set). */
    public record Recorded(GoroutineSnapshot snapshot, TargetCapture capture) {}

    /**
     * Takes a stopped snapshot of {@code pid} as {@link #take} does, keeping a copy of every
     * range of memory and every register set it read: test data for {@link #replay}.
     */
    public static Recorded record(int pid, Tracer tracer, ProcFs procfs, Linux linux) throws SnapshotException {
        Map<String, Long> phases = new java.util.LinkedHashMap<>();
        Binary bin = readBinary(pid, procfs, BinaryCache.fromEnvironment(System.getenv()));
        TargetCapture[] kept = new TargetCapture[1];
        GoroutineSnapshot s = onTracer(tracer, () -> takeStopped(pid, bin, tracer, procfs, linux, phases, kept, () -> { }, null,
                Reading.ALL));
        return new Recorded(s, kept[0]);
    }

    /**
     * The snapshot a capture holds, read again with no process: the goroutine list, the g
     * structs, the registers and the stacks from the capture, the tables from {@code executable},
     * which must be the captured one (the same Go build id).
     */
    public static GoroutineSnapshot replay(TargetCapture capture, Path executable) throws SnapshotException {
        try {
            GoExecutable.Go go = switch (GoExecutable.open(executable)) {
                case GoExecutable.Go g -> g;
                default -> throw new SnapshotException(executable + " is not a readable Go executable");
            };
            String buildId = goBuildId(go.elf());
            if (!buildId.equals(capture.goBuildId())) {
                throw new SnapshotException(executable + " is not the captured executable: Go build id " + buildId
                        + ", the capture's " + capture.goBuildId());
            }
            Binary bin = binary(go, executable.toString(), "the executable", capture.bias(),
                    capture.environGodebug().isEmpty() ? null : capture.environGodebug(), List.of(), BinaryCache.off(),
                    CachedFindings.key(go.elf(), executable));
            Map<Integer, long[]> regs = capture.registers();
            CopyBuffers pool = new CopyBuffers();
            Captured c = capture(bin, capture.memory(), regs::get, pool, pool, true, new StopPhases(), null,
                    CapturedMemory.NO_DEADLINE);
            return new GoroutineSnapshot(capture.pid(), bin.info().goVersion(), bin.elf().arch(), true, 0, bin.layoutSource(),
                    bin.list().method(), capture.takenNanos(), unwind(bin, c, true, ProcFs.live()), bin.layoutNotes(), Map.of(),
                    bin.labelsShown(), bin.profile(), -1, -1, bin.cacheUse(), Waiting.NOT_READ);
        } catch (MemoryReader.MemoryReadException e) {
            throw new SnapshotException("the capture lacks memory the reader needs: " + e.getMessage());
        } catch (IOException e) {
            throw new SnapshotException("cannot read " + executable + ": " + e.getMessage());
        }
    }

    /** The executable's Go build id, "" when it has none or its notes are damaged. */
    private static String goBuildId(ElfFile elf) {
        try {
            return elf.goBuildId().orElse("");
        } catch (ElfFormatException e) {
            return "";
        }
    }

    /** Runs {@code work} on the tracer's thread, its SnapshotException thrown here. */
    private static GoroutineSnapshot onTracer(Tracer tracer, java.util.concurrent.Callable<GoroutineSnapshot> work)
            throws SnapshotException {
        try {
            return tracer.call(work);
        } catch (IllegalStateException e) {
            if (e.getCause() instanceof SnapshotException se) {
                throw se;
            }
            throw e;
        }
    }

    /**
     * The registers of a stopped thread, as ptrace's general-purpose register set gives them;
     * null when they cannot be read.
     */
    @FunctionalInterface
    private interface ThreadRegisters {
        long[] of(int tid);
    }

    /** A stopped thread's registers through the session; a named class, so no lambda is linked while stopped. */
    private record SessionRegisters(PtraceSession session) implements ThreadRegisters {
        @Override
        public long[] of(int tid) {
            return session.registers(tid) instanceof CallResult.Ok<long[]> ok ? ok.value() : null;
        }
    }

    /**
     * @param kept    when not null, gets what the stopped read read ({@link #record})
     * @param reading what to read besides the stacks, and whether to return before the unwinding has ended
     */
    private static GoroutineSnapshot takeStopped(int pid, Binary bin, Tracer tracer, ProcFs procfs, Linux linux,
                                                 Map<String, Long> phases, TargetCapture[] kept, Runnable beforeStop,
                                                 Duration maxStop, Reading reading) throws SnapshotException {
        preload();
        // A recording keeps what the stopped read reads: it copies everything while stopped.
        Precopy pre = precopy(bin, new VmMemory(linux, pid), phases, kept == null, reading.waits());
        Captured before = pre.captured();
        beforeStop.run();
        long stopBegins = System.nanoTime();
        long deadline = maxStop == null ? CapturedMemory.NO_DEADLINE : stopBegins + maxStop.toNanos();
        AttachResult r = tracer.attach(pid, StopMode.ALL_THREADS, STOP_TIMEOUT);
        if (r instanceof AttachResult.Denied d) {
            throw new SnapshotException("cannot attach to " + pid + ": " + d.failure().describe()
                    + " (run `attachproof doctor " + pid + "` for why and what to change)");
        }
        if (r instanceof AttachResult.NoSuchProcess) {
            throw SnapshotException.exited(pid);
        }
        if (r instanceof AttachResult.StopTimedOut s) {
            throw new SnapshotException("process " + pid + " did not stop within " + s.waitedMicros() / 1000
                    + " ms (uninterruptible sleep?); it was left running");
        }
        PtraceSession session = ((AttachResult.Attached) r).session();
        Captured captured;
        Waits waits = Waits.NONE;
        long t;
        List<String> notes = new ArrayList<>(bin.layoutNotes());
        try {
            t = System.nanoTime();
            ThreadRegisters registers = new SessionRegisters(session);
            if (kept == null) {
                SessionMemory stoppedMemory = new SessionMemory(session);
                captured = capture(bin, stoppedMemory, registers, pre.goroutines(), pre.stacks(), true,
                        session.phases(), before, deadline);
                waits = readWaits(bin, reading, stoppedMemory, captured, session.phases(), deadline, pre.waitsComplete());
            } else {
                TargetCapture.Recorder recorder = new TargetCapture.Recorder(new SessionMemory(session));
                Map<Integer, long[]> read = new HashMap<>();
                captured = capture(bin, recorder, tid -> {
                    long[] words = registers.of(tid);
                    if (words != null) {
                        read.put(tid, words);
                    }
                    return words;
                }, pre.goroutines(), pre.stacks(), true, session.phases(), null, CapturedMemory.NO_DEADLINE);
                kept[0] = new TargetCapture(bin.info().goVersion(), bin.elf().arch(), goBuildId(bin.elf()), pid,
                        bin.bias(), t, bin.environGodebug(), read, recorder.ranges(), "");
            }
        } catch (MemoryReader.MemoryReadException | SnapshotException e) {
            // A target killed mid-read fails the reads (ESRCH) or the list's checks: say what happened.
            if (procfs.exited(pid)) {
                throw SnapshotException.exited(pid);
            }
            throw e instanceof SnapshotException se ? se : new SnapshotException("reading the goroutines failed: " + e.getMessage());
        } finally {
            session.close();
        }
        phases.putAll(session.phases().micros());
        if (pre.waits() != null && waits != Waits.NONE) {
            waits.adoptSkipped(pre.waits(), captured.goroutines());   // what the stop did not read again
        }
        if (maxStop != null) {
            long a0 = System.nanoTime();
            captured = readAfterStop(captured, new VmMemory(linux, pid), pre.stacks());
            phases.put("afterStop", (System.nanoTime() - a0) / 1000);
            int late = captured.afterStopCount();
            if (late > 0) {
                notes.add(String.format("the stop reached its limit (%s) before every stack was copied: the target was let go, "
                        + "and %d goroutines' stacks were read while it ran (they may not match their state at the stop; "
                        + "readAfterStop in JSON)", MaxStop.format(maxStop), late));
            }
        }
        if (bin.waitReader() != null) {
            bin.waitReader().release();   // its memory, read into before and during the stop
        }
        Waiting waiting = Waiting.of(reading.waits() && kept == null, waits, bin.waitObjects());
        notes.addAll(waits.notes());
        CopyBuffers copied = pre.copied();
        Unwinding entries = unwinding(bin, captured, true, procfs, Freeing.of(captured, copied), phases, reading.once(), () -> {
            if (copied != null) {
                copied.freeAll();
            }
        });
        if (!reading.progressive()) {
            entries.awaitAll();
        }
        notes.addAll(session.notes());
        return new GoroutineSnapshot(pid, bin.info().goVersion(), bin.elf().arch(), true, session.stoppedMicros(),
                bin.layoutSource(), bin.list().method(), t, entries, notes, java.util.Collections.unmodifiableMap(phases),
                bin.labelsShown(), bin.profile(), captured.stacksKept(), maxStop == null ? -1 : maxStop.toNanos() / 1000,
                bin.cacheUse(), waiting);
    }

    /**
     * The phases of the stop, in {@link StopPhases#SNAPSHOT} order: they add up to {@code
     * stoppedMicros} (empty when the target was not stopped).
     */
    public Map<String, Long> stopPhaseMicros() {
        Map<String, Long> out = new java.util.LinkedHashMap<>();
        if (stopped) {
            StopPhases.SNAPSHOT.forEach(p -> {
                if (phaseMicros.containsKey(p)) {
                    out.put(p, phaseMicros.get(p));
                }
            });
        }
        return out;
    }

    /** The most of one goroutine's stack copied: Go's stacks grow to 1 GB, tracebacks stop long before. */
    private static final int MAX_STACK_COPY = 1 << 20;

    /**
     * What is read while the target is stopped: the goroutines, their threads and registers, their
     * stacks (when not copied, only counted: {@code stackBytes}; for a copy before the stop, the
     * bytes the stop is expected to copy: after the first, those of the goroutines that cannot
     * stand; after the second, those and the stacks it copied again). {@code rangeOf[i]} is the range
     * of {@code stacks} holding goroutine i's stack, in the order the ranges were given, those
     * kept from an earlier copy first (-1: none). {@code stood}: when the read was compared with
     * an earlier copy, whether goroutine i stood, unchanged since (it did not run), its stack and
     * labels taken from that copy (null when not compared).
     */
    private record Captured(GoroutineReader.Copied goroutines, Map<Long, Integer> threads, long[] pcs, long[] sps,
                            long[] lrs, CapturedMemory stacks, int[] rangeOf, Map<Long, Map<String, String>> labels,
                            long stackBytes, int stacksKept, boolean[] afterStop, boolean[] stood) {
        Captured(GoroutineReader.Copied goroutines, Map<Long, Integer> threads, long[] pcs, long[] sps, long[] lrs,
                 CapturedMemory stacks, int[] rangeOf, Map<Long, Map<String, String>> labels, long stackBytes,
                 int stacksKept) {
            this(goroutines, threads, pcs, sps, lrs, stacks, rangeOf, labels, stackBytes, stacksKept, null, null);
        }

        /** Whether goroutine i's stack was read after the target was let go. */
        boolean readAfterStop(int i) {
            return afterStop != null && afterStop[i];
        }

        int afterStopCount() {
            int n = 0;
            for (int i = 0; afterStop != null && i < afterStop.length; i++) {
                n += afterStop[i] ? 1 : 0;
            }
            return n;
        }
    }

    /**
     * {@code c} with the stacks its stopped read left uncopied (it reached the stop's limit)
     * read now from {@code running}, and those goroutines marked as read after the stop.
     */
    private static Captured readAfterStop(Captured c, MemoryReader running, CopyBuffers pool) {
        int n = c.goroutines().size();
        boolean[] late = new boolean[n];
        boolean any = false;
        for (int i = 0; i < n; i++) {
            late[i] = c.rangeOf()[i] >= 0 && !c.stacks().copiedAsGiven(c.rangeOf()[i]);
            any |= late[i];
        }
        if (!any) {
            return c;
        }
        CapturedMemory stacks = c.stacks().withUnreadRead(running, pool);
        for (int i = 0; i < n; i++) {
            late[i] &= stacks.copiedAsGiven(c.rangeOf()[i]);   // one unreadable now as then is no later read
        }
        return new Captured(c.goroutines(), c.threads(), c.pcs(), c.sps(), c.lrs(), stacks, c.rangeOf(), c.labels(),
                c.stackBytes(), c.stacksKept(), late, c.stood());
    }

    /**
     * The copy made while the target runs (null when it failed), and the memory the stopped read
     * will copy the g's and the stacks into, and the freeable pool the stacks copied first are in
     * (null when nothing is kept); {@code waits}, what the goroutines of {@code captured} waited
     * on then (null when not read), and {@code waitsComplete}, for each of them, whether {@code
     * waits} has it whole ({@link Waits#complete}).
     */
    private record Precopy(Captured captured, CopyBuffers goroutines, CopyBuffers stacks, CopyBuffers copied, Waits waits,
                           boolean[] waitsComplete) {
        Precopy(Captured captured, CopyBuffers goroutines, CopyBuffers stacks, CopyBuffers copied) {
            this(captured, goroutines, stacks, copied, null, null);
        }

        Precopy withWaits(Waits w) {
            return new Precopy(captured, goroutines, stacks, copied, w, w.complete(captured.goroutines()));
        }
    }

    /**
     * The copy made while the target runs (process_vm_readv, no ptrace): every g, the used part
     * of every stack, the labels; then, below {@link #SECOND_COPY_BELOW} goroutines, a second
     * pass as the stopped read will make it, against the first: the g's again, and the stacks
     * again of only the goroutines that may have run ({@link GoroutineReader.Copied#unchanged}).
     * The stopped read then does the same against the last pass: the second is fresher (fewer
     * goroutines changed) and ran the very code the stopped read runs, so that none of it is
     * still interpreted inside the stopped window.
     * The three reads of the g's go through one rolling pool of a few batch buffers ({@link
     * CopyBuffers#rolling}): of each g, each read keeps only its fields, taken out of each batch
     * as it is read, and a later read takes them over, reading again in place those of the g's
     * that changed. The memory the stopped read copies into is sized and touched here (no
     * page is faulted in while stopped). A copy that cannot be made (process_vm_readv refused,
     * the target changed under it) leaves no copy and empty pools: the stopped read then copies
     * everything and allocates as it goes. With {@code keep} false the stacks are only counted,
     * for a stopped read that copies them all (one pool, sized for all of it).
     */
    private static Precopy precopy(Binary bin, MemoryReader mem, Map<String, Long> phases, boolean keep, boolean waits) {
        long t0 = System.nanoTime();
        Precopy out;
        try {
            out = keep ? copyBeforeStop(bin, mem) : countOnce(bin, mem);
            if (waits && out.captured() != null && bin.waitReader() != null) {
                // What goroutines wait on, read now: the stopped read takes it over for the
                // goroutines that stood (WaitReader#read), and runs compiled code for the others
                // (interpreted, it took 40 ms of a 20,000-goroutine stop).
                Captured c = out.captured();
                out = out.withWaits(bin.waitReader().read(mem, c.goroutines(), c.stacks(), c.rangeOf(),
                        CapturedMemory.NO_DEADLINE, null));
            }
            if (out.captured() != null) {
                collectUnlessRoomFor(out.captured().goroutines().size());
            } else {
                System.gc();   // a recording: the stopped read copies everything, allocating more
            }
        } catch (MemoryReader.MemoryReadException | SnapshotException | RuntimeException e) {
            // nothing copied: the stopped read copies everything, allocating as it goes
            CopyBuffers empty = new CopyBuffers();
            out = new Precopy(null, empty, empty, null);
        }
        phases.put("precopy", (System.nanoTime() - t0) / 1000);
        return out;
    }

    /**
     * Bytes the stopped read allocates on the heap per goroutine, at most (the arrays of {@link
     * #capture} and the g comparison's): 120 measured at 100,000 goroutines (12 MB).
     */
    private static final long STOPPED_HEAP_PER_GOROUTINE = 192;

    /**
     * A collection now, unless the young generation has room for what the stopped read of
     * {@code goroutines} allocates: a young collection inside the stopped window would stop the
     * target as long as it takes (20 to 40 ms with the copies on the heap). The room is known for
     * the serial collector the launcher runs (its "Eden Space" fills before it collects); under
     * another (a library's JVM) it is not, and the collection is made. A full collection, the
     * only kind System.gc() makes, took 21 ms of every 100,000-goroutine command that had room.
     *
     * <p>Also when the old generation has grown by {@link #OLD_GROWTH} since the last collection
     * made here: a snapshot's working set lives through the young collections made while it is
     * taken, so each one in a long-running JVM (serve, a test harness) promotes it, and nothing
     * collects the old generation until it is full. Measured with `serve` on this 24 GB machine
     * (the serial collector, a 6 GB default maximum heap), 100,004 goroutines: each request left
     * tens of MB more in the old generation, 30 requests left the server 2.9 GB resident, and
     * from the twelfth on each young collection took 120 to 140 ms instead of 22, the requests
     * 0.5 to 0.7 s instead of 0.27 to 0.31. A full collection then (36 ms) left 28 MB.
     */
    private static void collectUnlessRoomFor(int goroutines) {
        long need = goroutines * STOPPED_HEAP_PER_GOROUTINE + (8 << 20);
        boolean room = false;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP && pool.getName().equals("Eden Space")) {
                MemoryUsage eden = pool.getUsage();
                room = eden.getCommitted() - eden.getUsed() > need;
            }
        }
        long old = oldGenerationUsed();
        if (room && (old < 0 || old - oldAfterCollection < OLD_GROWTH)) {
            return;
        }
        System.gc();
        oldAfterCollection = Math.max(0, oldGenerationUsed());
    }

    /** Old-generation growth (bytes) past which {@link #collectUnlessRoomFor} collects. */
    static final long OLD_GROWTH = 256L << 20;
    /** The old generation's use right after the last collection {@link #collectUnlessRoomFor} made. */
    private static volatile long oldAfterCollection;

    /** The serial collector's "Tenured Gen", G1's "G1 Old Gen", Parallel's "PS Old Gen", ZGC's "ZGC Old Generation". */
    private static boolean isOldGeneration(String pool) {
        return pool.contains("Tenured") || pool.contains("Old Gen");
    }

    /** Bytes in use in the old generation; -1 when no pool is known as one. */
    static long oldGenerationUsed() {
        long used = -1;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP && isOldGeneration(pool.getName())) {
                used = Math.max(used, 0) + pool.getUsage().getUsed();
            }
        }
        return used;
    }

    /**
     * Below this many goroutines the copy before the stop is made twice. The second copy runs
     * the stopped read's code (the comparison with an earlier copy) once before the stop, so that
     * none of it is interpreted inside it, and leaves the stop fewer changed goroutines; its cost
     * grows with the goroutines, what it saves does not. Measured, alternately on one busy target,
     * 5 runs each: at 100,004 goroutines the stop took 19 to 27 ms with it and 22 to 40 without
     * (its `goroutines` phase 15 to 20 ms against 17 to 29), for 0.73 to 0.91 s of whole command
     * either way; at 1,000,004 (4 runs each) the stop took 110 to 131 ms with it and 115 to 123
     * without, and the command 3.0 to 3.5 s with it, 2.4 to 2.9 s without. Not measured between.
     * The system property {@value #SECOND_COPY_BELOW_PROPERTY} sets another bound (tests take
     * the one-copy path on a small fixture so).
     */
    private static final int SECOND_COPY_BELOW = 500_000;
    static final String SECOND_COPY_BELOW_PROPERTY = "attachproof.secondCopyBelow";

    /** The passes of {@link #precopy} (two, or one above {@link #SECOND_COPY_BELOW} goroutines); the pools for the stopped read. */
    private static Precopy copyBeforeStop(Binary bin, MemoryReader mem) throws SnapshotException, MemoryReader.MemoryReadException {
        CopyBuffers goroutines = CopyBuffers.rolling();
        CopyBuffers firstStacks = CopyBuffers.freeable();   // given back as the unwinding passes them
        Captured pre = capture(bin, mem, null, goroutines, firstStacks, true, new StopPhases(), null, CapturedMemory.NO_DEADLINE);
        pre.goroutines().prepareComparison();   // its g's grouped by batch, for the next read
        goroutines.reuse();
        if (pre.goroutines().size() < Integer.getInteger(SECOND_COPY_BELOW_PROPERTY, SECOND_COPY_BELOW)) {
            // The stacks copied again: those that moved meanwhile and could still stand at the stop.
            CopyBuffers secondStacks = new CopyBuffers();
            pre = capture(bin, mem, null, goroutines, secondStacks, true, new StopPhases(), pre, CapturedMemory.NO_DEADLINE);
            pre.goroutines().prepareComparison();
        }
        // What the stop will copy, unless goroutines move meanwhile: the stacks of those that
        // cannot stand (running, in a syscall, never stamped by a GC) and of those that moved.
        long again = pre.stackBytes() + (1 << 20);
        // The batch buffers the stopped read takes, touched now.
        goroutines.reserve(goroutines.taken());
        goroutines.reuse();
        CopyBuffers stoppedStacks = new CopyBuffers();
        stoppedStacks.reserve(again + again / 8);   // touched now: a page faulted in while stopped costs the target
        return new Precopy(pre, goroutines, stoppedStacks, firstStacks);
    }

    /** A dry run, for a stopped read that copies everything: the pools sized and touched. */
    private static Precopy countOnce(Binary bin, MemoryReader mem) throws SnapshotException, MemoryReader.MemoryReadException {
        CopyBuffers goroutines = CopyBuffers.rolling();
        CopyBuffers pool = new CopyBuffers();
        Captured dry = capture(bin, mem, null, goroutines, pool, false, new StopPhases(), null, CapturedMemory.NO_DEADLINE);
        goroutines.reuse();
        // Room for stacks grown between this dry run and the stop.
        long need = dry.stackBytes();
        pool.reserve(need + need / 8 + (1 << 20));
        pool.reuse();
        return new Precopy(null, goroutines, pool, null);
    }

    /**
     * Reads while the target is stopped (or, with --no-stop or before a stop, while it runs): the
     * goroutine list, every g in batches, the registers of threads running goroutines, and every
     * goroutine's stack from its SP to the top, in batches. Nothing is unwound here. With {@code
     * before}, a copy made while the target ran, a goroutine that cannot have run since ({@link
     * GoroutineReader.Copied#unchanged}) and is not running or in a syscall keeps the stack
     * and labels copied then; only the others are copied again. The time goes to {@code clock}'s
     * phases "goroutines" (the comparison with it), "labels", "registers" (with the m.procid reads) and
     * "stacks", lapped around each step, never per goroutine. Past {@code deadline} (a {@link
     * System#nanoTime()}, or {@link CapturedMemory#NO_DEADLINE}) no more stacks are copied: those
     * left are marked unread in the copy ({@link CapturedMemory#copiedAsGiven}).
     */
    private static Captured capture(Binary bin, MemoryReader mem, ThreadRegisters registers, CopyBuffers gBuffers,
                                    CopyBuffers buffers, boolean copyStacks, StopPhases clock, Captured before,
                                    long deadline) throws SnapshotException, MemoryReader.MemoryReadException {
        GoroutineReader reader = bin.reader();
        GoroutineReader.AllGs all = reader.readList(mem, bin.list().allgs() + bin.bias(), bin.list().allglen() + bin.bias());
        if (registers != null && all.length() != all.allglen()) {
            throw new SnapshotException(String.format("runtime.allgs holds %d goroutines but runtime.allglen says %d: "
                    + "the goroutine list was not found where %s says", all.length(), all.allglen(), bin.list().method()));
        }
        // Which goroutines keep the stack copied before the stop: compared as the g's are read again.
        boolean union = before != null && before.stacks() != null;
        boolean[] stands = new boolean[(int) all.length()];
        GoroutineReader.Copied gs = reader.copyAll(mem, all, gBuffers, before == null ? null : before.goroutines(),
                union ? stands : null);
        clock.lap("goroutines");
        long procid = bin.procidOffset();
        int n = gs.size();
        Map<Long, Integer> threads = new HashMap<>();
        Map<Long, Map<String, String>> labels = new HashMap<>();
        long[] pcs = new long[n];
        long[] sps = new long[n];
        long[] lrs = new long[n];
        long[] rangeStarts = new long[n];
        int[] rangeLengths = new int[n];
        int[] rangeOf = new int[n];
        int[] keptRanges = new int[n];
        int kept = 0;
        int ranges = 0;
        // The second copy before the stop copies only what could stand at it (GoroutineReader.Copied#keepable):
        // the stop copies the rest anyway, so here it is only counted, for the memory the stop will copy into.
        boolean onlyKeepable = before != null && registers == null && copyStacks;
        boolean firstCopy = before == null && registers == null && copyStacks;
        long unkeptBytes = 0;
        for (int i = 0; i < n; i++) {
            rangeOf[i] = -1;
            if (stands[i] && !before.stacks().copiedAsGiven(before.rangeOf()[i])) {
                stands[i] = false;   // unchanged, but its stack could not be copied then
            }
            // One that changed between the two copies made before stands as well: if it ran,
            // its waitsince was 0 in the second, which then did not copy its stack (checked
            // above); if only its stack moved (a GC shrank it), the second copied it afresh.
            Map<String, String> earlier = stands[i] && !before.labels().isEmpty() ? before.labels().get(gs.address(i)) : null;
            if (stands[i] && (earlier == null || !earlier.containsKey("(unreadable)"))) {
                // The same SP, PC, LR, bounds and label set as in the earlier copy (the
                // comparison said so): its values are taken from there, and its g, whose bytes
                // are long out of the cache by now, is not touched (at 100,000 goroutines that
                // took 20 ms of the stop).
                pcs[i] = before.pcs()[i];
                sps[i] = before.sps()[i];
                lrs[i] = before.lrs()[i];
                if (earlier != null) {
                    labels.put(gs.address(i), earlier);   // the same label set: Go never changes one in place
                }
                rangeOf[i] = kept;   // its index in the union
                keptRanges[kept++] = before.rangeOf()[i];   // the same SP and bounds: the same range
                continue;
            }
            stands[i] = false;
            int status = gs.baseStatus(i);
            if (gs.dead(i)) {
                continue;
            }
            long lo = gs.stackLo(i);
            long hi = gs.stackHi(i);
            long labelsAt = gs.labels(i);
            if (labelsAt != 0) {
                clock.lap("goroutines");
                try {
                    labels.put(gs.address(i), Labels.read(mem, bin.layout(), labelsAt));
                } catch (MemoryReader.MemoryReadException e) {
                    labels.put(gs.address(i), Map.of("(unreadable)", e.getMessage()));
                }
                clock.lap("labels");
            }
            long pc = gs.startPc(i);
            long sp = gs.startSp(i);
            long lr = gs.startLr(i);
            // A goroutine in a syscall keeps its m (runtime/proc.go, reentersyscall: the P is
            // released, gp.m is not), so it has a thread as a running one has; its stack still
            // starts at syscallsp, as Go's traceback starts it.
            if (status == Goroutine.G_RUNNING || status == Goroutine.G_SYSCALL) {
                clock.lap("goroutines");
                Integer tid = threadOf(gs.m(i), mem, procid);
                if (tid != null) {
                    threads.put(gs.address(i), tid);
                }
                long[] regs = status == Goroutine.G_RUNNING && tid != null && registers != null ? registers.of(tid) : null;
                if (regs != null) {
                    long threadSp = regs[bin.arch().spRegister()];
                    // On its own stack, the thread's registers are where it is; on another
                    // (g0 or signal stack: runtime or cgo code), its stack starts at sched.
                    if (Long.compareUnsigned(threadSp - lo, hi - lo) < 0) {
                        pc = regs[bin.arch().pcRegister()];
                        sp = threadSp;
                        lr = bin.arch().linkRegister(regs);
                    }
                }
                clock.lap("registers");
            }
            pcs[i] = pc;
            sps[i] = sp;
            lrs[i] = lr;
            if (Long.compareUnsigned(sp - lo, hi - lo) < 0) {
                int length = (int) Math.min(hi - sp, MAX_STACK_COPY);
                boolean unkept = (onlyKeepable || firstCopy) && !gs.keepable(i);
                if (unkept) {
                    unkeptBytes += length;   // copied again at the stop, whatever happens
                }
                if (!(unkept && onlyKeepable)) {   // the second copy leaves those to the stop
                    rangeStarts[ranges] = sp;
                    rangeLengths[ranges] = length;
                    rangeOf[i] = ranges;
                    ranges++;
                }
            }
        }
        clock.lap("goroutines");
        if (!copyStacks) {
            long bytes = 0;
            for (int i = 0; i < ranges; i++) {
                bytes += rangeLengths[i];
            }
            return new Captured(gs, threads, pcs, sps, lrs, null, rangeOf, labels, bytes, -1);
        }
        long[] starts = java.util.Arrays.copyOf(rangeStarts, ranges);
        int[] lengths = java.util.Arrays.copyOf(rangeLengths, ranges);
        // While the target runs, the stacks are read merged through the g's batch buffers (a
        // third less time at 100,000 goroutines); the stopped read copies few, each as it is,
        // under the deadline.
        CapturedMemory stacks = registers == null && deadline == CapturedMemory.NO_DEADLINE
                ? CapturedMemory.copyPacked(mem, starts, lengths, buffers, gBuffers)
                : CapturedMemory.copyAsGiven(mem, starts, lengths, buffers, deadline);
        // The second copy says what the stop will copy: what it left, and what it copied again;
        // the first, the stacks that cannot stand.
        long stopWillCopy = onlyKeepable ? unkeptBytes + stacks.bytes() : firstCopy ? unkeptBytes : -1;
        if (union) {
            stacks = CapturedMemory.union(before.stacks(), keptRanges, kept, stacks);
            for (int i = 0; i < n; i++) {
                if (!stands[i] && rangeOf[i] >= 0) {
                    rangeOf[i] += kept;   // the union puts the kept ranges first
                }
            }
        }
        clock.lap("stacks");
        return new Captured(gs, threads, pcs, sps, lrs, stacks, rangeOf, labels, stopWillCopy, union ? kept : -1, null,
                union ? stands : null);
    }

    /**
     * What the captured goroutines wait on, read from {@code mem} when {@code reading} asks for it
     * and the layout allows ({@link WaitReader}); the time goes to {@code clock}'s "waits". A
     * goroutine that stood (c.stood) and that the read before the stop found whole ({@code
     * complete}, null when none was made) is not read: that read's records are taken over after
     * the stop ({@link Waits#adoptSkipped}).
     */
    private static Waits readWaits(Binary bin, Reading reading, MemoryReader mem, Captured c, StopPhases clock, long deadline,
                                   boolean[] complete) {
        if (!reading.waits() || bin.waitReader() == null) {
            return Waits.NONE;
        }
        boolean[] skip = null;
        boolean[] stood = c.stood();
        if (complete != null && stood != null) {
            skip = new boolean[c.goroutines().size()];
            for (int i = 0; i < skip.length && i < stood.length && i < complete.length; i++) {
                skip[i] = stood[i] && complete[i];   // stood: the same g at the same index as then
            }
        }
        Waits w = bin.waitReader().read(mem, c.goroutines(), c.stacks(), c.rangeOf(), deadline, skip);
        clock.lap("waits");
        return w;
    }

    /** Every captured goroutine unwound ({@link #unwinding}), once the unwinding has ended. */
    private static List<Entry> unwind(Binary bin, Captured c, boolean stopped, ProcFs procfs) throws SnapshotException {
        return unwinding(bin, c, stopped, procfs, Freeing.NONE, new java.util.LinkedHashMap<>(), false, () -> { }).awaitAll();
    }

    /**
     * Starts unwinding every captured goroutine, after the target runs again, on every core when
     * there are enough goroutines to pay for it, and returns at once: the entries, each of which
     * waits, when read, until its block is unwound ({@link Unwinding}). The threads take blocks
     * of goroutines from one counter (the stacks of a block can cost unequally), each with
     * readers of its own (the stacks' reader, a pclntab reader and a traceback keep caches), and
     * put each entry at its goroutine's index, so the entries come out in allgs order. No thread
     * waits for another: on a machine busy with other work, a thread that is not scheduled holds
     * up no other. Each block unwound is told to {@code freeing}; once all are, or one failed,
     * "unwind" goes into {@code phases} and {@code finished} runs, on the thread that ended it.
     */
    private static Unwinding unwinding(Binary bin, Captured c, boolean stopped, ProcFs procfs, Freeing freeing,
                                       Map<String, Long> phases, boolean once, Runnable finished) throws SnapshotException {
        int n = c.goroutines().size();
        int threads = n < PARALLEL_UNWIND ? 1 : idleCores(procfs);
        int shown = 0;
        int[] live = new int[n];
        for (int i = 0; i < n; i++) {
            if (!c.goroutines().dead(i)) {
                live[shown++] = i;
            }
        }
        Unwinding u = new Unwinding(n, java.util.Arrays.copyOf(live, shown), phases, once, finished);
        List<Pclntab> tabs = new ArrayList<>();
        try {
            tabs.add(bin.tab());
            for (int t = 1; t < threads; t++) {
                tabs.add(bin.tab().forAnotherThread());
            }
        } catch (ElfFormatException e) {
            SnapshotException damaged = new SnapshotException("the binary's tables are damaged: " + e.getMessage());
            u.fail(damaged);
            throw damaged;
        }
        java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
        for (int t = 0; t < threads; t++) {
            Pclntab tab = tabs.get(t);
            boolean first = t == 0;
            // Daemons: a reader that stops reading (`| head`) leaves no thread to wait for at exit.
            Thread.ofPlatform().daemon().name("attachproof-unwind-" + t).start(() -> {
                try {
                    // The others' readers of the stacks: the ranges sorted for lookup by the first to ask.
                    CapturedMemory stacks = c.stacks() == null || first ? c.stacks() : c.stacks().forAnotherThread();
                    Traceback tb = bin.traceback(stacks, tab);
                    for (int from = next.getAndAdd(UNWIND_BLOCK); from < n && !u.failed(); from = next.getAndAdd(UNWIND_BLOCK)) {
                        unwind(bin, c, stopped, tb, stacks, from, Math.min(n, from + UNWIND_BLOCK), u.slots);
                        freeing.unwound(from);
                        u.unwound(from);
                    }
                } catch (ElfFormatException e) {
                    u.fail(new SnapshotException("the binary's tables are damaged: " + e.getMessage()));
                } catch (Throwable e) {
                    u.fail(e);
                }
            });
        }
        return u;
    }

    /**
     * The entries of a snapshot as its unwinding makes them: goroutines in allgs order, the dead
     * left out; reading one waits until its block is unwound, so that a writer can write the
     * first goroutines while the last are unwound. A failure of the unwinding is thrown to the
     * reader of an entry not unwound ({@link UnwindFailed}), or by {@link #awaitAll}.
     */
    static final class Unwinding extends java.util.AbstractList<Entry> implements java.util.RandomAccess {
        private final Entry[] slots;
        private final int[] shown;
        private final boolean[] blockDone;
        private final Map<String, Long> phases;
        private final Runnable finished;
        /** Whether each entry is let go once read ({@link Reading#once}). */
        private final boolean once;
        /** Of the entries unwound: how many are system goroutines, and how many were read after the stop. */
        private long system;
        private long afterStop;
        private final long started = System.nanoTime();
        /** Every goroutine below this index is unwound: read without the lock. */
        private volatile int doneBelow;
        private int blocksDone;
        private boolean ended;
        private Throwable failure;

        Unwinding(int goroutines, int[] shown, Map<String, Long> phases, boolean once, Runnable finished) {
            this.slots = new Entry[goroutines];
            this.once = once;
            this.shown = shown;
            this.blockDone = new boolean[(goroutines + UNWIND_BLOCK - 1) / UNWIND_BLOCK];
            this.phases = phases;
            this.finished = finished;
            if (blockDone.length == 0) {
                end();
            }
        }

        @Override
        public int size() {
            return shown.length;
        }

        @Override
        public Entry get(int k) {
            int i = shown[k];
            if (i >= doneBelow) {
                await(i);
            }
            Entry e = slots[i];
            if (once) {
                slots[i] = null;
            }
            return e;
        }

        /** Of every entry (once all are unwound): how many are system goroutines, or read after the stop. */
        synchronized long counted(boolean systemOnes) {
            return systemOnes ? system : afterStop;
        }

        /** Waits until every entry is unwound: they all, or the failure. */
        List<Entry> awaitAll() throws SnapshotException {
            synchronized (this) {
                waitFor(() -> ended);
                if (failure instanceof SnapshotException se) {
                    throw se;
                }
                if (failure instanceof RuntimeException re) {
                    throw re;
                }
                if (failure instanceof Error e) {
                    throw e;
                }
                if (failure != null) {
                    throw new IllegalStateException(failure);
                }
            }
            return this;
        }

        private synchronized void await(int i) {
            waitFor(() -> blockDone[i / UNWIND_BLOCK] || failure != null);
            if (!blockDone[i / UNWIND_BLOCK]) {
                throw new UnwindFailed(failure);
            }
        }

        /** Waits, holding the lock, until {@code done}; an interrupt meanwhile is kept for the caller. */
        private void waitFor(java.util.function.BooleanSupplier done) {
            boolean interrupted = false;
            while (!done.getAsBoolean()) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }

        synchronized boolean failed() {
            return failure != null;
        }

        /** The block that begins at goroutine {@code from} is unwound. */
        synchronized void unwound(int from) {
            for (int i = from; i < Math.min(slots.length, from + UNWIND_BLOCK); i++) {
                Entry e = slots[i];
                if (e != null) {
                    system += e.system() ? 1 : 0;
                    afterStop += e.readAfterStop() ? 1 : 0;
                }
            }
            blockDone[from / UNWIND_BLOCK] = true;
            if (++blocksDone == blockDone.length && !ended) {
                end();
            }
            int b = doneBelow / UNWIND_BLOCK;
            while (b < blockDone.length && blockDone[b]) {
                b++;
            }
            doneBelow = Math.min(slots.length, b * UNWIND_BLOCK);
            notifyAll();
        }

        synchronized void fail(Throwable e) {
            if (failure == null && !ended) {
                failure = e;
                end();
            }
            notifyAll();
        }

        private void end() {
            ended = true;
            phases.put("unwind", (System.nanoTime() - started) / 1000);
            finished.run();
        }
    }

    /**
     * Thrown to the reader of an entry of a progressive snapshot that its unwinding could not
     * make ({@link #take(int, boolean, Duration, Tracer, ProcFs, Linux, BinaryCache, boolean)}):
     * its message says why, its cause is the failure.
     */
    public static final class UnwindFailed extends RuntimeException {
        UnwindFailed(Throwable cause) {
            super(cause.getMessage(), cause);
        }
    }

    /** Fewer goroutines than this are unwound on one thread. */
    private static final int PARALLEL_UNWIND = 5_000;
    /** The system property that fixes how many threads unwind (above {@link #PARALLEL_UNWIND} goroutines). */
    static final String UNWIND_THREADS = "attachproof.unwindThreads";

    /**
     * The cores the unwinding may take: those the 1-minute load average leaves idle, at least
     * one. A busy machine gains nothing from more threads, it loses: on a 2-core machine at a load
     * of 5 to 7, 100,000 goroutines unwound in 147 ms (median of 7 runs) on one thread and 264 ms
     * on two (not traced further: likely the threads wait on each other's scheduling, and take
     * the core the JIT compiler of a cold command needs). A sidecar shares its machine with the
     * service it dumps. The system property {@value #UNWIND_THREADS} sets the count instead
     * (tests: so that the parallel path runs whatever the machine's load).
     */
    private static int idleCores(ProcFs procfs) {
        Integer fixed = Integer.getInteger(UNWIND_THREADS);
        if (fixed != null && fixed > 0) {
            return fixed;
        }
        int cores = Runtime.getRuntime().availableProcessors();
        java.util.OptionalDouble load = procfs.loadAverage();
        return load.isEmpty() ? cores : Math.max(1, Math.min(cores, cores - (int) Math.floor(load.getAsDouble())));
    }

    /** Goroutines a thread takes at a time. */
    private static final int UNWIND_BLOCK = 1_024;

    /**
     * Gives a freeable pool's chunks back as the unwinding passes them ({@link
     * CopyBuffers#freeable}): the stacks copied before the stop that stood at it, in allgs order
     * as they were copied, so that the chunks holding the stacks of goroutines 0 to k are freed
     * once blocks 0 to k are unwound, by whichever thread finishes the last of them. At
     * 1,000,000 goroutines that is 420 MB given back during the unwinding, while the entries
     * grow, instead of at a later collection.
     */
    private static class Freeing {
        static final Freeing NONE = new Freeing(null, new int[0], 0);

        private final CopyBuffers pool;
        /** The last goroutine whose stack lies in each chunk; -1: none (nothing reads it). */
        private final int[] lastOfChunk;
        private final boolean[] blockDone;
        private final boolean[] freed;
        /** Blocks 0 to this (exclusive) are unwound. */
        private int unwoundBlocks;

        private Freeing(CopyBuffers pool, int[] lastOfChunk, int goroutines) {
            this.pool = pool;
            this.lastOfChunk = lastOfChunk;
            this.blockDone = new boolean[(goroutines + UNWIND_BLOCK - 1) / UNWIND_BLOCK];
            this.freed = new boolean[lastOfChunk.length];
        }

        /** Which chunks of {@code pool} the stacks of {@code c} lie in, read before the copy is read (sorted). */
        static Freeing of(Captured c, CopyBuffers pool) {
            if (c.stacks() == null || pool == null) {
                return NONE;
            }
            int[] last = new int[pool.chunkCount()];
            java.util.Arrays.fill(last, -1);
            int n = c.goroutines().size();
            for (int i = 0; i < n; i++) {
                int chunk = pool.chunkOf(c.stacks().givenBuffer(c.rangeOf()[i]));
                if (chunk >= 0) {
                    last[chunk] = i;
                }
            }
            Freeing f = new Freeing(pool, last, n);
            f.release(0);   // the chunks no goroutine's stack is in any more
            return f;
        }

        /** Goroutines {@code from} to the end of its block are unwound. */
        synchronized void unwound(int from) {
            if (pool == null) {
                return;
            }
            blockDone[from / UNWIND_BLOCK] = true;
            int before = unwoundBlocks;
            while (unwoundBlocks < blockDone.length && blockDone[unwoundBlocks]) {
                unwoundBlocks++;
            }
            if (unwoundBlocks > before) {
                release(unwoundBlocks * UNWIND_BLOCK);
            }
        }

        /** Frees every chunk whose goroutines all lie below {@code goroutine}. */
        private void release(int goroutine) {
            for (int k = 0; k < lastOfChunk.length; k++) {
                if (!freed[k] && lastOfChunk[k] < goroutine) {
                    freed[k] = true;
                    pool.free(k);
                }
            }
        }
    }

    /** Goroutines {@code from} to {@code to} (in allgs order) into {@code out} at their index, dead ones left null. */
    private static void unwind(Binary bin, Captured c, boolean stopped, Traceback tb, CapturedMemory stacks, int from,
                               int to, Entry[] out) throws ElfFormatException {
        for (int i = from; i < to; i++) {
            if (c.goroutines().dead(i)) {
                continue;   // freed, kept for reuse, or an extra M's: Go's traceback leaves them out too
            }
            Goroutine g = c.goroutines().decode(i);
            boolean running = g.baseStatus() == Goroutine.G_RUNNING;
            // Only a goroutine with an m has a thread (threadOf): the others skip a boxed lookup.
            Integer tid = g.m() == 0 ? null : c.threads().get(g.address());
            long pc = c.pcs()[i];
            long sp = c.sps()[i];
            long lr = c.lrs()[i];
            if (stacks != null) {
                stacks.expect(c.rangeOf()[i]);   // its stack's range: the unwinder's first read finds it without a search
            }
            Traceback.Stack stack;
            if (running && !stopped) {
                stack = new Traceback.Stack(List.of(), 0, "goroutine running on other thread; stack unavailable");
            } else if (running && pc != g.schedPc()) {
                stack = tb.unwindTrap(pc, sp, lr);
            } else {
                stack = tb.unwind(pc, sp, lr);
            }
            out[i] = new Entry(g, tb.isSystem(g), stack, tb.createdBy(g), tid, tb.startFunction(g),
                    g.labels() == 0 ? Map.of() : c.labels().getOrDefault(g.address(), Map.of()), c.readAfterStop(i));
        }
    }

    /**
     * Loads and links, before the target stops, the classes the stopped window uses: loading
     * them inside it costs milliseconds of the target's time.
     */
    private static void preload() {
        for (Class<?> c : List.of(CapturedMemory.class, GoroutineReader.class, GoroutineReader.Copied.class,
                GoroutineReader.AllGs.class, SessionMemory.class, SessionRegisters.class, Captured.class, Precopy.class, CallResult.Ok.class, CallResult.Failed.class,
                MemoryReader.MemoryReadException.class, WaitReader.class, Waits.class, Waits.ChanWait.class, Waits.Chan.class)) {
            try {
                Class.forName(c.getName(), true, c.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException(e);
            }
        }
        // The sorts and copies on a few dummy ranges: their code paths linked before the stop.
        long[] dummy = {0x1000, 0x3000, 0x2000};
        CapturedMemory.copy((address, dst) -> { }, dummy, new int[] {8, 8, 8}, new CopyBuffers()).find(0x1000, 8);
        CapturedMemory.copyAsGiven((address, dst) -> { }, dummy, new int[] {8, 8, 8}, new CopyBuffers()).find(0x1000, 8);
    }

    /** The thread running a goroutine, from its m: m.procid. */
    private static Integer threadOf(long m, MemoryReader mem, long procid) throws MemoryReader.MemoryReadException {
        if (m == 0 || procid < 0) {
            return null;
        }
        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        mem.read(m + procid, b);
        long tid = b.getLong(0);
        return tid > 0 && tid < Integer.MAX_VALUE ? (int) tid : null;
    }

    /**
     * The mappings Go's own profile would list (runtime/pprof/proto.go parseProcSelfMaps): the
     * executable ones with a file name, in /proc order, each with its file's GNU build id. The
     * executable's own comes from the ELF already open; another file (a shared library of a cgo
     * program) is read through /proc/PID/root, where the target sees it.
     */
    private static List<ExecutableMapping> executableMappings(int pid, ProcFs procfs, List<Mapping> maps,
                                                             ElfFile exe, String linkText) throws ElfFormatException {
        String exePath = withoutDeleted(linkText);
        String exeBuildId = exe.gnuBuildId().orElse("");
        Map<String, String> buildIds = new HashMap<>();
        List<ExecutableMapping> out = new ArrayList<>();
        for (Mapping m : maps) {
            if (m.perms().length() < 4 || m.perms().charAt(2) != 'x' || m.path().isEmpty()) {
                continue;
            }
            String file = withoutDeleted(m.path());
            String buildId = file.equals(exePath) ? exeBuildId
                    : buildIds.computeIfAbsent(file, f -> otherBuildId(procfs.pidDir(pid), f));
            out.add(new ExecutableMapping(m.start(), m.end(), m.offset(), file, buildId));
        }
        return List.copyOf(out);
    }

    private static String withoutDeleted(String path) {
        return path.endsWith(" (deleted)") ? path.substring(0, path.length() - " (deleted)".length()) : path;
    }

    /** The GNU build id of a file the target maps, "" when it has none or is no file ([vdso]), as Go's elfBuildID. */
    private static String otherBuildId(Path pidDir, String file) {
        if (!file.startsWith("/")) {
            return "";
        }
        try {
            return ElfFile.open(pidDir.resolve("root").resolve(file.substring(1))).gnuBuildId().orElse("");
        } catch (IOException | RuntimeException e) {   // ElfFormatException is an IOException
            return "";
        }
    }

    private static Binary readBinary(int pid, ProcFs procfs, BinaryCache cache) throws SnapshotException {
        Path exe = procfs.pidDir(pid).resolve("exe");
        if (!Files.exists(procfs.pidDir(pid))) {
            throw new SnapshotException("no process with pid " + pid + " is visible here");
        }
        try {
            String linkText = Files.readSymbolicLink(exe).toString();
            // The reader doctor and compat use, so that all three name one cause.
            GoExecutable.Go go = switch (GoExecutable.open(exe)) {
                case GoExecutable.Go g -> g;
                case GoExecutable.NotGo n -> throw new SnapshotException(
                        "process " + pid + " (" + linkText + ") is not a Go program: no Go build info");
                case GoExecutable.Damaged d -> throw new SnapshotException(
                        "process " + pid + " (" + linkText + "): " + d.cause() + "; " + GoExecutable.DAMAGED_REMEDY);
                case GoExecutable.Unsupported u -> throw new SnapshotException(
                        "process " + pid + " (" + linkText + ") is " + u.cause());
            };
            ElfFile elf = go.elf();
            List<Mapping> maps = procfs.maps(pid);
            long bias = LoadBias.of(elf, maps, linkText);
            String environ = procfs.read("proc/" + pid + "/environ").asText().orElse("");
            return binary(go, linkText, "process " + pid, bias, GoDebug.fromEnviron(environ),
                    executableMappings(pid, procfs, maps, elf, linkText), cache, CachedFindings.key(elf, exe));
        } catch (NoSuchFileException e) {
            throw new SnapshotException("process " + pid + " exited, or its executable is not visible here");
        } catch (AccessDeniedException e) {
            throw new SnapshotException("cannot read /proc/" + pid + "/exe: permission denied (run as the target's user or as root)");
        } catch (ElfFormatException e) {
            throw new SnapshotException("cannot read the Go tables of process " + pid + "'s executable: " + e.getMessage());
        } catch (IOException e) {
            throw new SnapshotException("cannot read process " + pid + "'s executable: " + e.getMessage());
        }
    }

    /**
     * What the Go executable says: its CPU, release, layouts, goroutine list, and what its
     * GODEBUG decides.
     *
     * @param linkText what names the executable in messages (the target's /proc/PID/exe link)
     * @param what     what runs it, in messages ("process 123")
     * @param bias     its load bias in the target
     * @param key      what names the executable in {@code cache}
     */
    private static Binary binary(GoExecutable.Go go, String linkText, String what, long bias, String environGodebug,
                                 List<ExecutableMapping> mappings, BinaryCache cache, BinaryCache.Key key)
            throws SnapshotException, ElfFormatException {
        ElfFile elf = go.elf();
        GoBuildInfo info = go.info();
        Arch arch = switch (Arch.of(elf.arch())) {
            case Arch.Choice.Supported s -> s.arch();
            case Arch.Choice.Unsupported u -> throw new SnapshotException(u.reason() + "; " + what + " is " + elf.arch());
        };
        GoVersion v = GoVersion.parse(info.goVersion()).orElse(null);
        CachedFindings.Found found = CachedFindings.of(elf, v == null ? -1 : v.major(), v == null ? -1 : v.minor(), cache, key);
        GoRuntime runtime = found.runtime();
        RuntimeLayouts.Resolution res = runtime.layouts();
        RuntimeLayout layout = res.layout().orElseThrow(() -> new SnapshotException(
                info.goVersion() + " is not supported: " + res.problem() + "; build it without -ldflags=-w to keep its DWARF"));
        GoroutineList list = found.list().orElseThrow(() -> new SnapshotException(
                "cannot find runtime.allgs in " + linkText + " (no symbols, no DWARF, and runtime.allgadd's code did not name it)"));
        GoroutineReader reader = new GoroutineReader(layout);
        String binaryGodebug = info.settings().get("DefaultGODEBUG");
        boolean labelsShown = runtime.labelsInHeader(binaryGodebug, environGodebug);
        int depth = runtime.profileStackDepth(binaryGodebug, environGodebug);
        return new Binary(elf, info, arch, runtime, layout, res.source(), res.disagreements(), list, bias, reader, labelsShown,
                environGodebug, new ProfileFacts(mappings, depth), found.use(),
                new WaitSources(elf, runtime.pclntab(), layout, bias, what));
    }

    /**
     * What reading the goroutines' waits takes from the binary, found by {@link #resolve}, which
     * only a snapshot whose output shows the waits calls: in a stripped binary, finding
     * runtime.semtable disassembles two functions (46 ms of a cold JVM for Debian's dockerd).
     */
    private static final class WaitSources {
        private final ElfFile elf;
        private final Pclntab tab;
        private final RuntimeLayout layout;
        private final long bias;
        /** What runs the binary, in messages ("process 123"). */
        private final String what;
        private boolean resolved;
        private WaitReader reader;
        private WaitObjects objects;

        WaitSources(ElfFile elf, Pclntab tab, RuntimeLayout layout, long bias, String what) {
            this.elf = elf;
            this.tab = tab;
            this.layout = layout;
            this.bias = bias;
            this.what = what;
        }

        /**
         * runtime.semtable (its symbol, or, stripped, the code that reaches it) and its size (the
         * layout's), and where the type data starts, to name channels' element types
         * ({@link WaitObjects#typesOf}).
         */
        synchronized void resolve() throws SnapshotException {
            if (resolved) {
                return;
            }
            try {
                java.util.OptionalLong semtable = SemTable.locate(elf, tab);
                StructType semTable = layout.structs().get(RuntimeLayout.SEM_TABLE);
                long types = WaitObjects.typesOf(elf, tab);
                long imageHi = elf.segments().stream().filter(x -> x.type() == ElfFile.PT_LOAD)
                        .mapToLong(x -> x.vaddr() + x.memSize()).max().orElse(0);
                reader = WaitReader.of(layout, semtable.isPresent() ? semtable.getAsLong() + bias : 0,
                        semtable.isPresent() && semTable != null ? semTable.size() : 0, elf.firstLoadAddress() + bias,
                        imageHi + bias).orElse(null);
                objects = new WaitObjects(layout, elf, bias, types);
                resolved = true;
            } catch (ElfFormatException e) {
                throw new SnapshotException("cannot read the Go tables of " + what + "'s executable: " + e.getMessage());
            }
        }

        synchronized WaitReader reader() {
            return reader;
        }

        synchronized WaitObjects objects() {
            return objects;
        }
    }
}
