package dev.attachproof.linux;

import dev.attachproof.linux.generated.x86_64.LinuxHeaders;
import org.junit.jupiter.api.Test;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;

import static dev.attachproof.linux.generated.x86_64.LinuxHeaders.C_INT;
import static dev.attachproof.linux.generated.x86_64.LinuxHeaders.C_LONG;
import static dev.attachproof.linux.generated.x86_64.LinuxHeaders.C_POINTER;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * FfmLinux builds the descriptors of its variadic calls (ptrace, syscall, prctl) itself, without
 * jextract's invokers (which link a handle of their own to give one): they must be the ones the
 * invokers give, for every argument shape FfmLinux links, so a regeneration that changes a
 * variadic function's fixed part fails here.
 */
class FfmLinuxDescriptorsTest {
    @Test
    void eachVariadicShapeIsJextractsOwn() {
        check(FfmLinux.PTRACE_FIXED, LinuxHeaders.ptrace.makeInvoker(C_INT, C_POINTER, C_POINTER).descriptor(), C_INT, C_POINTER, C_POINTER);
        MemoryLayout[][] syscalls = {
            {C_LONG, C_LONG, C_POINTER, C_POINTER}, {C_POINTER, C_POINTER}, {C_LONG, C_LONG, C_POINTER}, {C_LONG, C_LONG, C_LONG},
            {C_LONG, C_POINTER},
        };
        for (MemoryLayout[] shape : syscalls) {
            check(FfmLinux.SYSCALL_FIXED, LinuxHeaders.syscall.makeInvoker(shape).descriptor(), shape);
        }
        check(FfmLinux.PRCTL_FIXED, LinuxHeaders.prctl.makeInvoker(C_LONG, C_LONG, C_LONG, C_LONG).descriptor(), C_LONG, C_LONG, C_LONG, C_LONG);
        // The fixed parts alone: an invoker with no variadic argument has exactly its BASE_DESC.
        assertEquals(LinuxHeaders.ptrace.makeInvoker().descriptor(), FfmLinux.PTRACE_FIXED);
        assertEquals(LinuxHeaders.syscall.makeInvoker().descriptor(), FfmLinux.SYSCALL_FIXED);
        assertEquals(LinuxHeaders.prctl.makeInvoker().descriptor(), FfmLinux.PRCTL_FIXED);
    }

    private static void check(FunctionDescriptor fixed, FunctionDescriptor jextracts, MemoryLayout... variadic) {
        assertEquals(jextracts, FfmLinux.variadicDescriptor(fixed, variadic));
    }
}
