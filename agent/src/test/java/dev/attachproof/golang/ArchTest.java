package dev.attachproof.golang;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

/**
 * The CPU's rules as Go's unwinder applies them (runtime/traceback.go): on amd64 a frame's
 * caller stands one word above its pcsp delta, the word the CALL pushed, which holds the return
 * address; the registers are user_regs_struct's rip and rsp (sys/user.h).
 */
class ArchTest {
    @Test
    void amd64FindsTheReturnAddressTheCallPushed() {
        Arch amd64 = ((Arch.Choice.Supported) Arch.of("amd64")).arch();
        assertEquals("amd64", amd64.name());
        assertEquals(8, amd64.pointerSize());
        long sp = 0xc000040f00L;
        long callerSp = amd64.callerSp(sp, 0x38);
        assertEquals(sp + 0x38 + 8, callerSp);
        assertEquals(sp + 0x38, amd64.returnAddressSlot(sp, callerSp));
        assertEquals(16, amd64.pcRegister());
        assertEquals(19, amd64.spRegister());
    }

    @Test
    void anArchWithoutAnInstanceIsUnsupportedWithTheReason() {
        Arch.Choice.Unsupported arm64 = assertInstanceOf(Arch.Choice.Unsupported.class, Arch.of("arm64"));
        assertEquals("goroutine stacks are read on amd64 only", arm64.reason());
        assertInstanceOf(Arch.Choice.Unsupported.class, Arch.of("machine 8"));
    }
}
