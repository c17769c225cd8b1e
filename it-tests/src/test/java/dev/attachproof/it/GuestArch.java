package dev.attachproof.it;

import java.util.List;

/**
 * The CPU a VM test emulates, and what follows from it: Debian's name for it (packages, the
 * kernel metapackage), Go's GOARCH (the same words), the qemu binary and the package it comes
 * in, the machine and CPU, the memory, the serial console the kernel writes to, and the
 * directory the dynamic loader searches for the C library.
 */
enum GuestArch {
    /** qemu's default PC. 1 GB: the Yama matrix runs one JVM at a time. */
    AMD64("amd64", "qemu-system-x86_64", "qemu-system-x86", List.of(), 1024, "ttyS0", "x86_64-linux-gnu"),
    /**
     * The "virt" board with every feature TCG emulates; pauth-impdef=on swaps the architected
     * pointer-authentication algorithm (QARMA, slow to emulate) for qemu's own cheap one (qemu
     * docs, "Arm CPU features": pauth-impdef), with which /init runs 4 s after qemu starts.
     */
    ARM64("arm64", "qemu-system-aarch64", "qemu-system-arm", List.of("-machine", "virt", "-cpu", "max,pauth-impdef=on"),
            2048, "ttyAMA0", "aarch64-linux-gnu");

    /** Debian's architecture name, and Go's GOARCH: they agree for these two. */
    final String debian;
    final String qemu;
    final String qemuPackage;
    final List<String> machine;
    final int memoryMiB;
    final String console;
    final String multiarch;

    GuestArch(String debian, String qemu, String qemuPackage, List<String> machine, int memoryMiB, String console,
              String multiarch) {
        this.debian = debian;
        this.qemu = qemu;
        this.qemuPackage = qemuPackage;
        this.machine = machine;
        this.memoryMiB = memoryMiB;
        this.console = console;
        this.multiarch = multiarch;
    }

    /** {@code pkg} qualified by this architecture, as apt names a package of a foreign one ({@code libc6:arm64}). */
    String aptName(String pkg) {
        return pkg + ":" + debian;
    }
}
