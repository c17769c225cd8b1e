package dev.attachproof.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The kernel image Debian's linux-image-amd64 currently depends on, which has Yama built in
 * (the host's kernel may not). Fetched with {@code apt-get download} and unpacked with
 * {@code dpkg-deb -x} into a cache directory, never installed: no /boot, no postinst hooks.
 */
final class DebianKernel {
    private static final Pattern DEPENDS = Pattern.compile("Depends: (linux-image-[0-9][^\\s]*-amd64)");
    private static final String APT = "apt-get and dpkg-deb come with Debian; the package lists need `apt-get update`";

    private DebianKernel() {}

    /** The vmlinuz of the current package, unpacked under {@code cache} on first use. */
    static Path vmlinuz(Path cache) throws IOException, InterruptedException {
        String pkg = currentPackage();
        Path unpacked = cache.resolve(pkg);
        if (!Files.isDirectory(unpacked.resolve("boot"))) {
            Path download = WorkDir.fresh(cache.resolve(pkg + ".download"));
            Command.run(download, Map.of(), Duration.ofMinutes(5), APT, List.of("apt-get", "download", "-q", pkg));
            Path deb;
            try (Stream<Path> files = Files.list(download)) {
                deb = files.filter(f -> f.toString().endsWith(".deb")).findFirst()
                        .orElseThrow(() -> new IllegalStateException("apt-get download " + pkg + " left no .deb in " + download));
            }
            Path partial = WorkDir.fresh(cache.resolve(pkg + ".partial"));
            Command.run(cache, Map.of(), Duration.ofMinutes(2), APT, List.of("dpkg-deb", "-x", deb.toString(), partial.toString()));
            // Only /boot is kept: the VM loads no module, and they weigh 400 MB.
            Files.createDirectories(unpacked);
            Files.move(partial.resolve("boot"), unpacked.resolve("boot"));
            WorkDir.delete(partial);
            WorkDir.delete(download);
        }
        Path boot = unpacked.resolve("boot");
        requireYama(only(boot, "config-"));
        return only(boot, "vmlinuz-");
    }

    /** The versioned image package the linux-image-amd64 metapackage depends on, e.g. linux-image-6.1.0-56-amd64. */
    private static String currentPackage() throws IOException, InterruptedException {
        String depends = Command.run(Path.of("."), Map.of(), Duration.ofMinutes(1), APT,
                List.of("apt-cache", "depends", "linux-image-amd64"));
        Matcher m = DEPENDS.matcher(depends);
        if (!m.find()) {
            throw new IllegalStateException("apt-cache names no kernel image for linux-image-amd64 (run apt-get update):\n" + depends);
        }
        return m.group(1);
    }

    private static Path only(Path dir, String prefix) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            List<Path> found = files.filter(f -> f.getFileName().toString().startsWith(prefix)).toList();
            if (found.size() != 1) {
                throw new IllegalStateException("expected one " + prefix + "* in " + dir + ", found " + found);
            }
            return found.getFirst();
        }
    }

    private static void requireYama(Path config) throws IOException {
        if (!Files.readAllLines(config).contains("CONFIG_SECURITY_YAMA=y")) {
            throw new IllegalStateException(config + " has no CONFIG_SECURITY_YAMA=y: this kernel cannot run the Yama matrix");
        }
    }
}
