package dev.attachproof.golang;

import dev.attachproof.elf.ElfFormatException;
import dev.attachproof.memory.MemoryReader;
import dev.attachproof.pclntab.Pclntab;

import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;

/**
 * A goroutine's physical frames, innermost first, as Go's unwinder finds them
 * (runtime/traceback.go: unwinder.initAt, next and resolveInternal from Go 1.21,
 * gentraceback's loop before, whose rules are the same): each frame's size from pcsp, its return
 * address where the CPU's {@link Arch} says, a stop at a top frame (goexit, mstart), at a function
 * that writes SP (a stack switch: gogo, systemstack) other than the innermost, and at a zero
 * return address. What the frames print as is {@link Traceback}'s business, not this one's.
 * <p>
 * One per thread: it caches what each PC's function says.
 */
final class Unwinder {
    /** Deeper than any real stack: a corrupt one must not loop for ever. */
    private static final int MAX_PHYSICAL_FRAMES = 100_000;

    private final MemoryReader mem;
    private final Pclntab tab;
    private final long bias;
    private final Arch arch;

    /**
     * @param bias the load bias of a PIE: run-time PCs are the table's plus this
     * @param arch how a frame finds its caller on the target's CPU
     */
    Unwinder(MemoryReader mem, Pclntab tab, long bias, Arch arch) {
        this.mem = mem;
        this.tab = tab;
        this.bias = bias;
        this.arch = Objects.requireNonNull(arch);
    }

    /**
     * A stack as its physical PCs (link-time), innermost first, with what decides how they print:
     * whether the first PC is where a trap stopped (a thread's own PC) rather than a return
     * address, and why the unwinding stopped early (null when it reached the stack's top);
     * {@code fps[i]} is frame i's caller SP (Go's frame.fp), where its arguments are.
     */
    record Chain(long[] pcs, boolean trap, String stopped, long[] fps) {
        /** Two goroutines parked at the same PCs print the same frames: their SPs ({@code fps}) do not count. */
        @Override
        public boolean equals(Object o) {
            return o instanceof Chain c && trap == c.trap && Arrays.equals(pcs, c.pcs)
                    && Objects.equals(stopped, c.stopped);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(pcs) * 31 + (trap ? 1 : 0);
        }

        @Override
        public String toString() {
            return "Chain" + Arrays.toString(Arrays.stream(pcs).mapToObj(Long::toHexString).toArray()) + (trap ? " trap" : "")
                    + (stopped == null ? "" : " stopped: " + stopped);
        }
    }

    /**
     * What a PC's function says, once per PC.
     *
     * @param injectsCall whether the function is one the runtime's signal handler makes the
     *                    interrupted goroutine call (sigpanic, asyncPreempt, debugCallV2): its
     *                    caller's frame is then read as the injected call left it. Named once per
     *                    PC: three string comparisons per frame were 4% of unwinding 1,000,000 stacks
     */
    record PcInfo(Pclntab.FuncInfo f, int spDelta, boolean injectsCall) {
        PcInfo(Pclntab.FuncInfo f, int spDelta) {
            this(f, spDelta, f.is("sigpanic") || f.is("asyncPreempt") || f.is("debugCallV2"));
        }
    }

    private final LongMap<PcInfo> pcInfos = new LongMap<>();

    /** The function at a link-time PC and its pcsp delta there; null when no function holds it. */
    PcInfo pcInfo(long linkPc) throws ElfFormatException {
        PcInfo info = pcInfos.get(linkPc);
        if (info == null && !pcInfos.containsKey(linkPc)) {
            Optional<Pclntab.FuncInfo> f = tab.funcInfo(linkPc);
            info = f.isEmpty() ? null : new PcInfo(f.get(), tab.spDelta(linkPc));
            pcInfos.put(linkPc, info);
        }
        return info;
    }

    /** Where {@link #chain} collects a stack's PCs and frame pointers before it copies them out: reused. */
    private long[] scratchPcs = new long[16];
    private long[] scratchFps = new long[16];

    /**
     * The chain from a PC, an SP and what is known of the innermost frame's return address.
     *
     * @param lr0  on a link-register CPU, the LR register of a thread, or g.sched.lr; 0 when
     *             unknown (a syscall's saved pair, which initAt also starts with lr 0)
     * @param trap whether {@code pc0} is where a trap stopped (a thread's registers) rather than a
     *             return address (a saved pair)
     */
    Chain chain(long pc0, long sp0, long lr0, boolean trap) {
        long[] chain = scratchPcs;
        long[] fps = scratchFps;
        int n = 0;
        String stopped = null;
        long pc = pc0;
        long sp = sp0;
        long lr = lr0;
        boolean afterInjectedCall = false;
        try {
            for (int depth = 0; depth < MAX_PHYSICAL_FRAMES; depth++) {
                long linkPc = pc - bias;
                PcInfo info = pcInfo(linkPc);
                if (info == null) {
                    stopped = String.format("unknown pc 0x%x", pc);
                    break;
                }
                if (afterInjectedCall && arch.injectedCallSave() > 0) {
                    // next(): "On link register architectures, sighandler saves the LR on stack
                    // before faking a call": skip that save; it is the interrupted frame's lr if
                    // that frame had not stored LR yet (pcsp delta 0 at the interrupted PC).
                    long saved = mem.word(sp);
                    sp += arch.injectedCallSave();
                    if (info.spDelta() == 0) {
                        lr = saved;
                    }
                }
                Pclntab.FuncInfo f = info.f();
                if (info.spDelta() < 0) {
                    stopped = String.format("no frame size for %s at pc 0x%x", f.name(), pc);
                    break;
                }
                if (n == chain.length) {
                    chain = scratchPcs = Arrays.copyOf(chain, n * 2);
                    fps = scratchFps = Arrays.copyOf(fps, n * 2);
                }
                long fp = arch.callerSp(sp, info.spDelta());
                fps[n] = fp;
                chain[n++] = linkPc;
                if (f.topFrame()) {
                    break;
                }
                if (f.spWrite() && depth > 0) {
                    stopped = "stack switched in " + f.name() + " (SP written)";
                    break;
                }
                long ret = arch.returnAddress(sp, fp, lr, depth == 0, mem);
                if (ret == 0) {
                    break;
                }
                if (ret == pc && fp == sp) {
                    stopped = String.format("traceback stuck at pc 0x%x sp 0x%x", pc, sp);   // next() throws here
                    break;
                }
                afterInjectedCall = info.injectsCall();
                pc = ret;
                sp = fp;
                lr = 0;
            }
        } catch (ElfFormatException e) {
            stopped = e.getMessage();
        } catch (MemoryReader.MemoryReadException e) {
            stopped = "stack unreadable: " + e.getMessage();
        }
        return new Chain(Arrays.copyOf(chain, n), trap, stopped, Arrays.copyOf(fps, n));
    }
}
