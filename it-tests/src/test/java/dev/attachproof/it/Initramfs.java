package dev.attachproof.it;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * An initramfs of the VM tests, written as it is built: the mount points and the console
 * device every init needs, the init itself (a static Go program, so nothing to load before
 * it), then whatever the test adds. No shell: the init is the only userland besides the JVM.
 * Uncompressed: the kernel copies it in a blink, where inflating it under emulation takes seconds.
 */
final class Initramfs implements AutoCloseable {
    private static final String GO = "Go must be on PATH (Debian: golang-go)";
    private static final Duration BUILD = Duration.ofMinutes(3);

    private final OutputStream out;
    private final NewcArchive cpio;

    private Initramfs(OutputStream out) {
        this.out = out;
        this.cpio = new NewcArchive(out);
    }

    /** An archive at {@code image} holding {@code init} as /init. */
    static Initramfs create(Path image, Path init) throws IOException {
        Initramfs i = new Initramfs(new BufferedOutputStream(Files.newOutputStream(image), 1 << 20));
        for (String mountPoint : List.of("proc", "sys", "dev", "tmp")) {
            i.cpio.directory(mountPoint, 0755);
        }
        // The kernel opens /dev/console for the init's stdin, stdout and stderr before anything is mounted.
        i.cpio.characterDevice("dev/console", 0600, 5, 1);
        i.file("init", init);
        return i;
    }

    /**
     * Package {@code pkg} of Go module {@code module} built for {@code arch} as a static binary
     * (CGO_ENABLED=0) by the go on PATH: what an init must be.
     */
    static Path goBuild(Path module, String pkg, GuestArch arch, Path out) throws IOException, InterruptedException {
        Command.run(module, Map.of("CGO_ENABLED", "0", "GOTOOLCHAIN", "local", "GOARCH", arch.debian), BUILD, GO,
                List.of("go", "build", "-o", out.toString(), pkg));
        return out;
    }

    /** {@code source} (any file system: a zip's too) at {@code path}, executable when the source is. */
    void file(String path, Path source) throws IOException {
        cpio.file(path, source, executable(source) ? 0755 : 0644);
    }

    /** The tree under {@code root} at {@code at}. */
    void tree(String at, Path root) throws IOException {
        try (Stream<Path> tree = Files.walk(root)) {
            for (Path p : tree.sorted().toList()) {
                String relative = root.relativize(p).toString();
                String path = relative.isEmpty() ? at : at + "/" + relative;
                if (Files.isDirectory(p)) {
                    cpio.directory(path, 0755);
                } else {
                    file(path, p);
                }
            }
        }
    }

    void symlink(String path, String target) throws IOException {
        cpio.symlink(path, target);
    }

    @Override
    public void close() throws IOException {
        try (out) {
            cpio.close();
        }
    }

    private static boolean executable(Path p) throws IOException {
        return Files.getPosixFilePermissions(p).contains(PosixFilePermission.OWNER_EXECUTE);
    }
}
