package dev.attachproof.linux;

import java.util.EnumSet;
import java.util.Map;

/**
 * What differs between the two Linux ABIs attachproof runs on, x86_64 and aarch64: the syscall
 * numbers, the audit arch a seccomp filter finds in {@code seccomp_data.arch}, and the register
 * set. Each is read from its own jextract generation ({@code X86_64Platform},
 * {@code Aarch64Platform}): per-target values are generated data behind this one small record,
 * chosen once, by {@code os.arch}. What the two LP64 ABIs share is in {@link LinuxConstants}.
 *
 * @param name "x86_64" or "aarch64", as in the generated package's name
 * @param auditArch this ABI's AUDIT_ARCH_* value (linux/audit.h)
 * @param syscalls the number of every {@link Syscall} in this ABI's table
 * @param registers the NT_PRSTATUS register set
 */
public record Platform(String name, int auditArch, Map<Syscall, Integer> syscalls, RegisterSet registers) {

    public Platform {
        syscalls = Map.copyOf(syscalls);
        if (!syscalls.keySet().equals(EnumSet.allOf(Syscall.class))) {
            throw new IllegalArgumentException(name + " does not number every syscall: " + syscalls.keySet());
        }
    }

    /** The platform of this JVM, from {@code os.arch}. */
    public static Platform current() {
        return of(System.getProperty("os.arch"));
    }

    /**
     * The platform for a value of {@code os.arch} (OpenJDK says "amd64" for x86_64 on Linux). An
     * arch with no generated bindings is refused by name: guessed numbers would make other syscalls.
     */
    public static Platform of(String osArch) {
        return switch (osArch) {
            case "amd64", "x86_64" -> X86_64Platform.PLATFORM;
            case "aarch64" -> Aarch64Platform.PLATFORM;
            default -> throw new UnsupportedOperationException("no Linux bindings for os.arch '" + osArch
                    + "': attachproof is generated for x86_64 (amd64) and aarch64 only");
        };
    }

    /** The number of {@code syscall} on this ABI. */
    public int number(Syscall syscall) {
        return syscalls.get(syscall);
    }
}
