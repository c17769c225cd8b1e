package dev.attachproof.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The initramfs of the Yama matrix, built from the sources on every run: the init
 * (it-tests/src/test/go, as /init), the Go target (agent/go/target, as /opt/target), the AppArmor
 * profiles compiled to a binary policy ({@link AppArmorPolicy}, as /opt/apparmor.bin), the agent
 * jar, a Java runtime jlink'd to the modules the jar needs (/opt/java), and the glibc files the
 * launcher and libjvm load, at the paths the dynamic loader looks in. No shell: the init is the
 * only userland besides the JVM.
 */
final class YamaInitramfs {
    private static final String JDK = "the test's own JDK provides jdeps and jlink";
    private static final Duration BUILD = Duration.ofMinutes(3);

    private YamaInitramfs() {}

    /** Builds everything under {@code work} and returns the archive. */
    static Path build(Path repo, AgentJar agentJar, Path work) throws IOException, InterruptedException {
        Path bin = WorkDir.fresh(work.resolve("bin"));
        Path init = Initramfs.goBuild(repo.resolve("it-tests/src/test/go"), "./yamainit", GuestArch.AMD64, bin.resolve("init"));
        Path target = Initramfs.goBuild(repo.resolve("agent/go"), "./target", GuestArch.AMD64, bin.resolve("target"));
        Path java = jlink(agentJar, work.resolve("java"));
        Path policy = AppArmorPolicy.compile(repo, work);
        Path image = work.resolve("initramfs.cpio");
        try (Initramfs cpio = Initramfs.create(image, init)) {
            cpio.file("opt/target", target);
            cpio.file("opt/apparmor.bin", policy);
            cpio.file("opt/attachproof.jar", agentJar.path());
            cpio.tree("opt/java", java);
            for (Path library : glibcFiles(java)) {
                cpio.file(library.toString().substring(1), library);
            }
        }
        return image;
    }

    /**
     * A runtime with the modules jdeps finds the jar needs, small: no debug attributes, man pages
     * or headers, compressed class files. With a CDS archive of the JDK's own classes, which
     * under emulation saves about a tenth of each doctor run; its variant for heaps over 32 GB
     * (no compressed oops) is left out.
     */
    private static Path jlink(AgentJar agentJar, Path out) throws IOException, InterruptedException {
        String modules = agentJar.moduleDeps(out.getParent());
        WorkDir.delete(out);
        Command.run(out.getParent(), Map.of(), BUILD, JDK, List.of(AgentJar.jdkTool("jlink"),
                "--add-modules", modules, "--strip-debug", "--no-man-pages", "--no-header-files", "--compress=zip-6",
                "--generate-cds-archive", "--output", out.toString()));
        Files.delete(out.resolve("lib/server/classes_nocoops.jsa"));
        return out;
    }

    /**
     * The shared objects outside the runtime that ldd lists for the launcher and libjvm (every
     * other library of the runtime needs a subset of them), at the paths ldd shows: the
     * executables name the dynamic loader by its absolute path, and the loader searches
     * /lib/x86_64-linux-gnu on its own.
     */
    private static List<Path> glibcFiles(Path java) throws IOException, InterruptedException {
        String ldd = Command.run(java, Map.of(), BUILD, "ldd comes with libc-bin",
                List.of("ldd", java.resolve("bin/java").toString(), java.resolve("lib/server/libjvm.so").toString()));
        TreeSet<Path> found = new TreeSet<>();
        for (String line : ldd.lines().map(String::strip).toList()) {
            if (line.contains("not found")) {
                throw new IllegalStateException("ldd cannot resolve a library of the runtime:\n" + ldd);
            }
            String path = line.contains("=> ") ? line.substring(line.indexOf("=> ") + 3) : line;
            if (path.startsWith("/") && path.contains(" (")) {
                Path library = Path.of(path.substring(0, path.indexOf(" ("))).normalize();
                if (!library.startsWith(java)) {
                    found.add(library);
                }
            }
        }
        if (found.stream().noneMatch(p -> p.getFileName().toString().startsWith("ld-linux"))) {
            throw new IllegalStateException("ldd named no dynamic loader:\n" + ldd);
        }
        return new ArrayList<>(found);
    }
}
