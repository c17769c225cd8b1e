package dev.attachproof.golang;

import dev.attachproof.linux.Platform;
import dev.attachproof.linux.RegisterSet;
import dev.attachproof.memory.MemoryReader;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * What the target's CPU decides about reading goroutines: how a Go frame finds its caller, where
 * the thread's PC, SP and link register are among the registers ptrace gives, and how the code
 * names data addresses. Chosen once per target from the ELF's machine ({@link #of}), like
 * Delve's {@code proc.Arch}; the unwinder, the snapshot and the goroutine list ask it instead of
 * doing the arithmetic of one CPU themselves.
 * <p>
 * The frame rules are Go's own (runtime/traceback.go: unwinder.initAt, resolveInternal and next
 * from 1.21, gentraceback before; the same rules in both): the caller's SP (frame.fp) is the
 * frame's SP plus its pcsp delta, plus one word on a CPU whose CALL pushes the return address
 * ({@code !usesLR}); the return address is read from the stack unless the frame's lr is already
 * known (a link-register CPU's innermost frame that has not saved LR yet).
 */
public sealed interface Arch permits Arch.Amd64, Arch.Arm64 {
    /** As Go names it (GOARCH). */
    String name();

    /** Bytes in a pointer, a saved PC and a stack word. */
    default int pointerSize() {
        return 8;
    }

    /** The caller's SP (Go's frame.fp): where this frame's caller stood when it made the call. */
    long callerSp(long sp, int spDelta);

    /**
     * sys.MinFrameSize: the bytes between a caller's SP and its outgoing arguments (the saved LR
     * on a link-register CPU, none on amd64). A frame's arguments start at its callerSp plus this
     * (traceback.go: {@code frame.argp = frame.fp + sys.MinFrameSize}).
     */
    int minFrameSize();

    /** Where the frame's return address is saved on the stack, from the frame's SP and its caller's SP. */
    long returnAddressSlot(long sp, long callerSp);

    /**
     * The frame's return address (Go's frame.lr as resolveInternal derives it).
     *
     * @param lr        what is already known of it: on a link-register CPU, the LR register (or
     *                  g.sched.lr) for the innermost frame, the word the signal handler saved for
     *                  the frame an injected call interrupted; 0 when nothing is known
     * @param innermost whether this is the frame the unwinding started in
     */
    long returnAddress(long sp, long callerSp, long lr, boolean innermost, MemoryReader stack)
            throws MemoryReader.MemoryReadException;

    /**
     * Bytes the signal handler pushed below a frame it made look like a call to sigpanic,
     * asyncPreempt or debugCallV2, holding the interrupted function's LR: 0 on a CPU whose CALL
     * pushes the return address (the handler pushes that instead, as a CALL would).
     */
    int injectedCallSave();

    /** The word of the thread's saved registers (ptrace's general-purpose register set) holding the PC. */
    int pcRegister();

    /** The word of the thread's saved registers holding the SP. */
    int spRegister();

    /** The thread's link register from its saved registers: 0 on a CPU that has none. */
    long linkRegister(long[] registers);

    /** The data addresses a function's machine code names, {@code code} starting at virtual address {@code base}. */
    List<DataReferences.Ref> dataReferences(ByteBuffer code, long base);

    /**
     * The instance for an ELF machine as {@code ElfFile.arch()} names it, or why there is none.
     */
    static Choice of(String machine) {
        // By name, so that only the one asked for is initialized: each reads its register
        // layout from its jextract generation, whose VarHandles took 15 to 20 ms of a command's start.
        return switch (machine) {
            case "amd64" -> new Choice.Supported(Amd64.INSTANCE);
            case "arm64" -> new Choice.Supported(Arm64.INSTANCE);
            default -> new Choice.Unsupported("goroutine stacks are read on amd64 and arm64 only");
        };
    }

    /** A target's CPU: one this code reads, or one it does not, with the reason. */
    sealed interface Choice {
        record Supported(Arch arch) implements Choice {}

        record Unsupported(String reason) implements Choice {}
    }

    /**
     * x86-64: CALL pushes the return address, so it lies one word above the frame (the pcsp
     * delta does not count it), and the caller's SP is just above that word; Go never knows a
     * frame's lr before reading it (initAt takes lr0 only {@code if usesLR}). Registers are
     * {@code struct user_regs_struct} (sys/user.h) words, rip's and rsp's found in the x86_64
     * generation's layout of it (rip is the 17th, rsp the 20th).
     */
    final class Amd64 implements Arch {
        static final Amd64 INSTANCE = new Amd64();
        private static final RegisterSet REGISTERS = Platform.of("amd64").registers();

        private Amd64() {}

        @Override
        public String name() {
            return "amd64";
        }

        @Override
        public long callerSp(long sp, int spDelta) {
            return sp + spDelta + pointerSize();
        }

        @Override
        public int minFrameSize() {
            return 0;
        }

        @Override
        public long returnAddressSlot(long sp, long callerSp) {
            return callerSp - pointerSize();
        }

        @Override
        public long returnAddress(long sp, long callerSp, long lr, boolean innermost, MemoryReader stack)
                throws MemoryReader.MemoryReadException {
            return stack.word(returnAddressSlot(sp, callerSp));
        }

        @Override
        public int injectedCallSave() {
            return 0;
        }

        @Override
        public int pcRegister() {
            return REGISTERS.programCounterWord();
        }

        @Override
        public int spRegister() {
            return REGISTERS.stackPointerWord();
        }

        @Override
        public long linkRegister(long[] registers) {
            return 0;
        }

        @Override
        public List<DataReferences.Ref> dataReferences(ByteBuffer code, long base) {
            return DataReferences.amd64(code.order(ByteOrder.LITTLE_ENDIAN), base);
        }
    }

    /**
     * AArch64, a link-register CPU: BL leaves the return address in LR (x30); a function with a
     * frame saves it at 0(RSP) of its own frame in its prologue (cmd/internal/obj/arm64/obj7.go),
     * so the caller's SP is the frame's SP plus its pcsp delta and no more. Until the prologue has
     * run (pcsp delta 0: at the entry, or in a frameless leaf) the return address is still in LR.
     * Registers are {@code struct user_pt_regs} (arch/arm64/include/uapi/asm/ptrace.h, the
     * NT_PRSTATUS regset): regs[0..30] are x0..x30 (x30 is LR), then sp, pc, pstate.
     */
    final class Arm64 implements Arch {
        static final Arm64 INSTANCE = new Arm64();
        /** sp's and pc's words from the aarch64 generation's layout; LR is regs[30], an array element there. */
        private static final RegisterSet REGISTERS = Platform.of("aarch64").registers();
        private static final int LR = 30;
        /**
         * alignUp(sys.MinFrameSize, sys.StackAlign): 8 rounded up to 16, as traceback.go's next
         * skips it. signal_arm64.go's preparePanic (sigpanic) and pushCall (asyncPreempt,
         * debugCallV2) lower SP by 16 and store the interrupted LR at the new SP.
         */
        private static final int INJECTED_SAVE = 16;

        private Arm64() {}

        @Override
        public String name() {
            return "arm64";
        }

        @Override
        public long callerSp(long sp, int spDelta) {
            return sp + spDelta;
        }

        /** internal/goarch: MinFrameSize is 8 on arm64 (the caller's saved LR at its SP). */
        @Override
        public int minFrameSize() {
            return 8;
        }

        @Override
        public long returnAddressSlot(long sp, long callerSp) {
            return sp;
        }

        /**
         * resolveInternal's {@code if innermost && frame.sp < frame.fp || frame.lr == 0}: the
         * innermost frame reads its saved LR when it has a frame already, and so does every frame
         * whose lr is not known; otherwise the known lr (the register) is the return address.
         */
        @Override
        public long returnAddress(long sp, long callerSp, long lr, boolean innermost, MemoryReader stack)
                throws MemoryReader.MemoryReadException {
            if ((innermost && Long.compareUnsigned(sp, callerSp) < 0) || lr == 0) {
                return stack.word(returnAddressSlot(sp, callerSp));
            }
            return lr;
        }

        @Override
        public int injectedCallSave() {
            return INJECTED_SAVE;
        }

        @Override
        public int pcRegister() {
            return REGISTERS.programCounterWord();
        }

        @Override
        public int spRegister() {
            return REGISTERS.stackPointerWord();
        }

        @Override
        public long linkRegister(long[] registers) {
            return registers[LR];
        }

        @Override
        public List<DataReferences.Ref> dataReferences(ByteBuffer code, long base) {
            return DataReferences.arm64(code.order(ByteOrder.LITTLE_ENDIAN), base);
        }
    }
}
