package dev.attachproof.golang;

import dev.attachproof.elf.ElfFile;
import dev.attachproof.memory.MemoryReader;
import dev.attachproof.pclntab.Pclntab;
import dev.attachproof.testing.GoFixture;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CPU's rules as Go's unwinder applies them (runtime/traceback.go). On amd64 a frame's
 * caller stands one word above its pcsp delta, the word the CALL pushed, which holds the return
 * address; the registers are user_regs_struct's rip and rsp (sys/user.h). On arm64 the caller
 * stands at the pcsp delta, the return address is at the frame's own SP once the prologue ran
 * and in LR before (a frameless leaf), and a signal handler's faked call leaves the interrupted
 * LR 16 bytes below; the registers are user_pt_regs's x30, sp and pc.
 * <p>
 * The arm64 stacks are hand-built words over the pclntab of a real arm64 build of the stacks
 * fixture (read, not run): main.spin is a frameless leaf ({@code NOOP; JMP main.spin}),
 * main.recurse has a 32-byte frame ({@code MOVD.W R30, -32(RSP)}), runtime.goexit is a top frame.
 * The proof on a running arm64 target is a capture from a VM ({@code CapturedSnapshotTest}).
 */
class ArchTest {
    private static Arch arm64;
    private static Pclntab tab;
    private static long spin;
    private static long recurseReturn;
    private static long goexitReturn;
    private static long sigpanic;

    @BeforeAll
    static void arm64Build() throws Exception {
        arm64 = ((Arch.Choice.Supported) Arch.of("arm64")).arch();
        ElfFile elf = ElfFile.open(GoFixture.build("stacks", "go1.22.0", false, GoFixture.Link.INTERNAL, "arm64"));
        tab = Pclntab.of(elf);
        Map<String, ElfFile.Symbol> syms = elf.symbols(List.of("main.spin", "main.recurse", "runtime.goexit.abi0", "runtime.sigpanic"));
        spin = syms.get("main.spin").value() + 4;   // the JMP: still no frame
        goexitReturn = syms.get("runtime.goexit.abi0").value() + 8;   // after its BL goexit1
        // After recurse's BL main.recurse: the return address of its callee, with the frame made.
        long recurse = syms.get("main.recurse").value();
        recurseReturn = recurse;
        while (tab.spDelta(recurseReturn) != 32 || tab.funcInfo(recurseReturn).orElseThrow().entry() != recurse) {
            recurseReturn += 4;
        }
        long sp = syms.get("runtime.sigpanic").value();
        while (tab.spDelta(sp) <= 0) {
            sp += 4;
        }
        sigpanic = sp + 4;   // inside sigpanic, after its prologue
    }

    @Test
    void amd64FindsTheReturnAddressTheCallPushed() throws Exception {
        Arch amd64 = ((Arch.Choice.Supported) Arch.of("amd64")).arch();
        assertEquals("amd64", amd64.name());
        assertEquals(8, amd64.pointerSize());
        long sp = 0xc000040f00L;
        long callerSp = amd64.callerSp(sp, 0x38);
        assertEquals(sp + 0x38 + 8, callerSp);
        assertEquals(sp + 0x38, amd64.returnAddressSlot(sp, callerSp));
        Stack stack = new Stack().word(sp + 0x38, 0x401234);
        assertEquals(0x401234, amd64.returnAddress(sp, callerSp, 0x999, true, stack), "amd64 has no LR to take");
        assertEquals(0, amd64.injectedCallSave());
        assertEquals(16, amd64.pcRegister());
        assertEquals(19, amd64.spRegister());
        assertEquals(0, amd64.linkRegister(new long[27]));
    }

    @Test
    void anArchWithoutAnInstanceIsUnsupportedWithTheReason() {
        Arch.Choice.Unsupported other = assertInstanceOf(Arch.Choice.Unsupported.class, Arch.of("machine 8"));
        assertEquals("goroutine stacks are read on amd64 and arm64 only", other.reason());
        assertEquals("arm64", arm64.name());
    }

    @Test
    void arm64RegistersAreUserPtRegs() {
        long[] regs = new long[34];
        regs[30] = 0x1111;
        regs[31] = 0x2222;
        regs[32] = 0x3333;
        assertEquals(0x1111, arm64.linkRegister(regs));
        assertEquals(0x2222, regs[arm64.spRegister()]);
        assertEquals(0x3333, regs[arm64.pcRegister()]);
        assertEquals(16, arm64.injectedCallSave());
    }

    /** resolveInternal: {@code if innermost && frame.sp < frame.fp || frame.lr == 0} read *(sp), else frame.lr. */
    @Test
    void arm64ReadsLrFromTheFrameOnceMadeAndFromTheRegisterBefore() throws Exception {
        long sp = 0x4000100000L;
        Stack stack = new Stack().word(sp, 0xaaaa);
        assertEquals(sp + 32, arm64.callerSp(sp, 32));
        assertEquals(sp, arm64.returnAddressSlot(sp, sp + 32));
        assertEquals(0xaaaa, arm64.returnAddress(sp, sp + 32, 0xbbbb, true, stack), "innermost with a frame: the saved LR");
        assertEquals(0xbbbb, arm64.returnAddress(sp, sp, 0xbbbb, true, stack), "innermost frameless: the LR register");
        assertEquals(0xaaaa, arm64.returnAddress(sp, sp, 0, true, stack), "LR unknown: read at SP");
        assertEquals(0xbbbb, arm64.returnAddress(sp, sp + 32, 0xbbbb, false, stack), "an outer frame's known lr (after an injected call)");
    }

    /** A running frameless leaf: its caller from the LR register, then a framed caller's saved LR, then the top frame. */
    @Test
    void arm64UnwindsAFramelessLeafThroughTheLinkRegister() {
        long sp = 0x4000100000L;
        Stack stack = new Stack().word(sp, goexitReturn).word(sp + 32, 0xdeadbeefL);
        Unwinder.Chain chain = new Unwinder(stack, tab, 0, arm64).chain(spin, sp, recurseReturn, true);
        assertNull(chain.stopped(), chain.toString());
        assertArrayEquals(new long[] {spin, recurseReturn, goexitReturn}, chain.pcs(), chain.toString());
        Traceback.Stack printed = new Traceback(stack, tab, 0, arm64, Traceback.Elision.INNER_AND_OUTER_50)
                .unwindTrap(spin, sp, recurseReturn);
        assertEquals(List.of("main.spin", "main.recurse"), printed.frames().stream().map(Traceback.Frame::function).toList());
    }

    /** A parked frame (g.sched: lr 0) with a frame reads its saved LR; a stale LR register is not taken. */
    @Test
    void arm64InnermostFrameWithAFrameIgnoresTheLinkRegister() {
        long sp = 0x4000100000L;
        Stack stack = new Stack().word(sp, goexitReturn);
        Unwinder.Chain chain = new Unwinder(stack, tab, 0, arm64).chain(recurseReturn, sp, 0x1234, false);
        assertArrayEquals(new long[] {recurseReturn, goexitReturn}, chain.pcs(), chain.toString());
    }

    /**
     * A fault in the frameless leaf: the signal handler pushed the leaf's LR 16 bytes below its SP
     * and faked a call to sigpanic (signal_arm64.go preparePanic); next() skips the 16 bytes and,
     * the leaf's pcsp delta being 0, takes the saved word as its lr.
     */
    @Test
    void arm64SkipsTheSavedLrOfAnInjectedCall() throws Exception {
        long sp = 0x4000100000L;
        int frame = tab.spDelta(sigpanic);
        assertTrue(frame > 0);
        long leafSp = sp + frame + 16;
        Stack stack = new Stack().word(sp, spin).word(sp + frame, recurseReturn).word(leafSp, goexitReturn);
        Unwinder.Chain chain = new Unwinder(stack, tab, 0, arm64).chain(sigpanic, sp, 0, true);
        assertNull(chain.stopped(), chain.toString());
        assertArrayEquals(new long[] {sigpanic, spin, recurseReturn, goexitReturn}, chain.pcs(), chain.toString());
    }

    /** Words of a hand-built stack; a read elsewhere fails as an unmapped one would. */
    private static final class Stack implements MemoryReader {
        private final Map<Long, Long> words = new HashMap<>();

        Stack word(long address, long value) {
            words.put(address, value);
            return this;
        }

        @Override
        public void read(long address, ByteBuffer dst) throws MemoryReadException {
            Long w = words.get(address);
            if (w == null || dst.remaining() != 8) {
                throw new MemoryReadException(String.format("0x%x not on the hand-built stack", address));
            }
            dst.duplicate().order(ByteOrder.LITTLE_ENDIAN).putLong(w);
        }
    }
}
