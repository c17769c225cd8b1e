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
 * The kernel image Debian's linux-image-ARCH currently depends on, which has Yama built in
 * (the host's kernel may not). Only its /boot is kept ({@link DebianPackage}): the VM loads no
 * module, and they weigh 400 MB.
 */
final class DebianKernel {
    private DebianKernel() {}

    /** The vmlinuz of the current package for {@code arch}, unpacked under {@code cache} on first use. */
    static Path vmlinuz(Path cache, GuestArch arch) throws IOException, InterruptedException {
        Path boot = DebianPackage.unpacked(cache, arch.aptName(currentPackage(arch)), "boot");
        requireYama(only(boot, "config-"));
        return only(boot, "vmlinuz-");
    }

    /** The versioned image package the linux-image-ARCH metapackage depends on, e.g. linux-image-6.1.0-56-amd64. */
    private static String currentPackage(GuestArch arch) throws IOException, InterruptedException {
        String meta = arch.aptName("linux-image-" + arch.debian);
        String depends = Command.run(Path.of("."), Map.of(), Duration.ofMinutes(1), DebianPackage.APT,
                List.of("apt-cache", "depends", meta));
        Matcher m = Pattern.compile("Depends: (linux-image-[0-9][^\\s:]*-" + arch.debian + ")").matcher(depends);
        if (!m.find()) {
            throw new IllegalStateException("apt-cache names no kernel image for " + meta + " (run apt-get update):\n" + depends);
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
            throw new IllegalStateException(config + " has no CONFIG_SECURITY_YAMA=y: this kernel cannot run the Yama tests");
        }
    }
}
