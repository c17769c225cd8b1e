package dev.attachproof.golang;

/**
 * What the target's CPU decides about reading goroutines: how a Go frame finds its caller, and
 * where the thread's PC and SP are among the registers ptrace gives. Chosen once per target from
 * the ELF's machine ({@link #of}), like Delve's {@code proc.Arch}; the unwinder and the snapshot
 * ask it instead of doing the arithmetic of one CPU themselves.
 * <p>
 * The frame rule is Go's own (runtime/traceback.go, unwinder.resolveInternal and next): the
 * caller's SP is the frame's SP plus its pcsp delta, plus one word on a CPU whose CALL pushes the
 * return address (not on a link-register CPU: arm64 saves LR inside the frame, at its SP).
 */
public sealed interface Arch permits Arch.Amd64 {
    /** As Go names it (GOARCH). */
    String name();

    /** Bytes in a pointer, a saved PC and a stack word. */
    int pointerSize();

    /** The caller's SP (Go's frame.fp): where this frame's caller stood when it made the call. */
    long callerSp(long sp, int spDelta);

    /** Where the frame's return address is saved, from the frame's SP and its caller's SP. */
    long returnAddressSlot(long sp, long callerSp);

    /** The word of the thread's saved registers (ptrace's general-purpose register set) holding the PC. */
    int pcRegister();

    /** The word of the thread's saved registers holding the SP. */
    int spRegister();

    /**
     * The instance for an ELF machine as {@code ElfFile.arch()} names it, or why there is none.
     */
    static Choice of(String machine) {
        return machine.equals(Amd64.INSTANCE.name()) ? new Choice.Supported(Amd64.INSTANCE)
                : new Choice.Unsupported("goroutine stacks are read on amd64 only");
    }

    /** A target's CPU: one this code reads, or one it does not, with the reason. */
    sealed interface Choice {
        record Supported(Arch arch) implements Choice {}

        record Unsupported(String reason) implements Choice {}
    }

    /**
     * x86-64: CALL pushes the return address, so it lies one word above the frame (the pcsp
     * delta does not count it), and the caller's SP is just above that word. Registers are
     * {@code struct user_regs_struct} (sys/user.h) words: rip is the 17th, rsp the 20th.
     */
    final class Amd64 implements Arch {
        static final Amd64 INSTANCE = new Amd64();
        private static final int RIP = 16;
        private static final int RSP = 19;

        private Amd64() {}

        @Override
        public String name() {
            return "amd64";
        }

        @Override
        public int pointerSize() {
            return 8;
        }

        @Override
        public long callerSp(long sp, int spDelta) {
            return sp + spDelta + pointerSize();
        }

        @Override
        public long returnAddressSlot(long sp, long callerSp) {
            return callerSp - pointerSize();
        }

        @Override
        public int pcRegister() {
            return RIP;
        }

        @Override
        public int spRegister() {
            return RSP;
        }
    }
}
