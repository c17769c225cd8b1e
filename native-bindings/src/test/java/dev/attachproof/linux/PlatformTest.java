package dev.attachproof.linux;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/**
 * Each platform's values against the kernel's own tables, written out here as an oracle that
 * does not go through jextract: arch/x86/entry/syscalls/syscall_64.tbl and
 * include/uapi/asm-generic/unistd.h (arm64's table) for the numbers, include/uapi/linux/audit.h
 * for the audit arches (EM_X86_64 62, EM_AARCH64 183, both with __AUDIT_ARCH_64BIT and _LE), and
 * the register structs of arch/x86/include/asm/user_64.h and arch/arm64/include/uapi/asm/ptrace.h.
 * aarch64 cannot run here; its values are checked all the same.
 */
class PlatformTest {

    /** Each platform as the kernel's tables have it; the register sets as (size, pc word, sp word). */
    static Stream<Arguments> kernelTables() {
        return Stream.of(
                // regs[31], sp, pc, pstate: 34 words
                arguments("aarch64", new Platform("aarch64", 0xC00000B7, Map.of(Syscall.PTRACE, 117,
                        Syscall.PROCESS_VM_READV, 270, Syscall.SECCOMP, 277, Syscall.CAPGET, 90, Syscall.CAPSET, 91,
                        Syscall.SETRESUID, 147, Syscall.SETRESGID, 149, Syscall.SETGROUPS, 159), new RegisterSet(272, 32, 31))),
                // r15 ... rip (16), cs, eflags, rsp (19), ss, fs_base, gs_base, ds, es, fs, gs: 27 words
                arguments("x86_64", new Platform("x86_64", 0xC000003E, Map.of(Syscall.PTRACE, 101,
                        Syscall.PROCESS_VM_READV, 310, Syscall.SECCOMP, 317, Syscall.CAPGET, 125, Syscall.CAPSET, 126,
                        Syscall.SETRESUID, 117, Syscall.SETRESGID, 119, Syscall.SETGROUPS, 116), new RegisterSet(216, 16, 19))));
    }

    @ParameterizedTest
    @MethodSource("kernelTables")
    void eachPlatformHasItsKernelsNumbersAndRegisterSet(String osArch, Platform expected) {
        assertEquals(expected, Platform.of(osArch));
    }

    @Test
    void osArchNamesChooseThePlatform() {
        // OpenJDK reports x86_64 as "amd64" on Linux; both spellings mean the same ABI.
        assertSame(Platform.of("x86_64"), Platform.of("amd64"));
        assertSame(Platform.of(System.getProperty("os.arch")), Platform.current());
    }

    @Test
    void anArchWithoutBindingsIsRefusedByName() {
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, () -> Platform.of("riscv64"));
        assertTrue(e.getMessage().contains("'riscv64'"), e.getMessage());
    }
}
