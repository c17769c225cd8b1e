package dev.attachproof.probe;

import dev.attachproof.linux.BpfInstruction;
import dev.attachproof.linux.Errno;
import dev.attachproof.linux.LinuxConstants;
import dev.attachproof.linux.Platform;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The filter for each arch, run on {@code seccomp_data} words as the kernel's classic BPF would
 * run it (only the three instruction kinds the filter uses): the arch's own ptrace and
 * process_vm_readv numbers are denied, the same numbers in the other ABI's table are not. The
 * numbers and audit arches are written out from the kernel's tables (syscall_64.tbl,
 * asm-generic/unistd.h, linux/audit.h). The aarch64 filter cannot be installed here; its
 * program can be run all the same.
 */
class SeccompFilterTest {
    private static final int AUDIT_ARCH_X86_64 = 0xC000003E;
    private static final int DENIED = LinuxConstants.SECCOMP_RET_ERRNO | Errno.EPERM.number();
    private static final int ALLOWED = LinuxConstants.SECCOMP_RET_ALLOW;

    /**
     * On each arch, its own ptrace and process_vm_readv numbers are denied; its ptrace number
     * means another syscall in the other table (x86_64's 101 is arm64's nanosleep, arm64's 117 is
     * x86_64's setresuid), and a syscall of the other arch passes the arch check.
     */
    @ParameterizedTest
    @CsvSource({"aarch64, 0xC00000B7, 117, 270, 101, 0xC000003E", "x86_64, 0xC000003E, 101, 310, 117, 0xC00000B7"})
    void eachArchsFilterDeniesItsOwnNumbersInItsOwnAbiOnly(String arch, String auditArch, int ptrace,
            int processVmReadv, int otherArchsPtrace, String otherAuditArch) {
        List<BpfInstruction> p = SeccompFilter.denying(Platform.of(arch), List.of("ptrace", "process_vm_readv"), Errno.EPERM);
        int own = Long.decode(auditArch).intValue();
        int other = Long.decode(otherAuditArch).intValue();
        assertEquals(DENIED, run(p, own, ptrace), "ptrace");
        assertEquals(DENIED, run(p, own, processVmReadv), "process_vm_readv");
        assertEquals(ALLOWED, run(p, own, otherArchsPtrace), "the other arch's ptrace number");
        assertEquals(ALLOWED, run(p, other, ptrace), "another arch");
    }

    @Test
    void onlyTheNamedSyscallsAreDenied() {
        List<BpfInstruction> p = SeccompFilter.denying(Platform.of("x86_64"), List.of("process_vm_readv"), Errno.EPERM);
        assertEquals(ALLOWED, run(p, AUDIT_ARCH_X86_64, 101), "ptrace");
        assertEquals(DENIED, run(p, AUDIT_ARCH_X86_64, 310), "process_vm_readv");
    }

    /**
     * Runs {@code program} on a seccomp_data of {@code arch} and {@code nr} (offsets 4 and 0), as
     * net/core/filter.c would for BPF_LD|BPF_W|BPF_ABS, BPF_JMP|BPF_JEQ|BPF_K and BPF_RET|BPF_K.
     */
    private static int run(List<BpfInstruction> program, int arch, int nr) {
        int accumulator = 0;
        for (int pc = 0; pc < program.size(); pc++) {
            BpfInstruction i = program.get(pc);
            if (i.code() == (LinuxConstants.BPF_LD | LinuxConstants.BPF_W | LinuxConstants.BPF_ABS)) {
                accumulator = switch (i.k()) {
                    case 0 -> nr;
                    case 4 -> arch;
                    default -> throw new AssertionError("load of seccomp_data offset " + i.k());
                };
            } else if (i.code() == (LinuxConstants.BPF_JMP | LinuxConstants.BPF_JEQ | LinuxConstants.BPF_K)) {
                pc += accumulator == i.k() ? i.jt() : i.jf();
            } else if (i.code() == (LinuxConstants.BPF_RET | LinuxConstants.BPF_K)) {
                return i.k();
            } else {
                throw new AssertionError("instruction the filter does not use: " + i);
            }
        }
        throw new AssertionError("the program fell off its end");
    }
}
