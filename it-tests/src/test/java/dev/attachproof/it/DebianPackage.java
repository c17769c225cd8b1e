package dev.attachproof.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A Debian package fetched with {@code apt-get download} and unpacked with {@code dpkg-deb -x}
 * into a cache directory, never installed: no maintainer scripts, any architecture apt knows
 * ({@code dpkg --add-architecture arm64} for arm64's, as .ci/run does).
 */
final class DebianPackage {
    static final String APT = "apt-get and dpkg-deb come with Debian; the package lists need `apt-get update`"
            + " (and `dpkg --add-architecture arm64` for arm64 packages)";

    private DebianPackage() {}

    /**
     * The directory {@code keep} (e.g. "boot") of package {@code pkg} (e.g. "libc6:arm64"),
     * unpacked under {@code cache} on first use; the rest of the package is not kept.
     */
    static Path unpacked(Path cache, String pkg, String keep) throws IOException, InterruptedException {
        Path unpacked = cache.resolve(pkg.replace(':', '_'));
        Path kept = unpacked.resolve(keep);
        if (Files.isDirectory(kept)) {
            return kept;
        }
        Path download = WorkDir.fresh(cache.resolve(unpacked.getFileName() + ".download"));
        Command.run(download, Map.of(), Duration.ofMinutes(5), APT, List.of("apt-get", "download", "-q", pkg));
        Path deb;
        try (Stream<Path> files = Files.list(download)) {
            deb = files.filter(f -> f.toString().endsWith(".deb")).findFirst()
                    .orElseThrow(() -> new IllegalStateException("apt-get download " + pkg + " left no .deb in " + download));
        }
        Path partial = WorkDir.fresh(cache.resolve(unpacked.getFileName() + ".partial"));
        Command.run(cache, Map.of(), Duration.ofMinutes(2), APT, List.of("dpkg-deb", "-x", deb.toString(), partial.toString()));
        Files.createDirectories(kept.getParent());
        Files.move(partial.resolve(keep), kept);
        WorkDir.delete(partial);
        WorkDir.delete(download);
        return kept;
    }
}
