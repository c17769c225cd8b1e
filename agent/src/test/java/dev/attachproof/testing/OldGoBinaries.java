package dev.attachproof.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Real Go 1.16, 1.17, 1.18 and 1.20 binaries, which no toolchain here can build (GOTOOLCHAIN
 * starts at 1.21, Debian has 1.19): esbuild's Linux executables as published on the npm registry
 * (esbuild-linux-64, later @esbuild/linux-x64), built and stripped by esbuild's release process.
 * Fetched with `npm pack` into target/npm-fixtures once.
 */
public final class OldGoBinaries {
    private OldGoBinaries() {}

    /** esbuild versions and the Go that built them (as `go version FILE` says). */
    public static final List<String[]> ESBUILD = List.of(
            new String[] {"0.9.7", "go1.16.2"},
            new String[] {"0.11.23", "go1.16.3"},
            new String[] {"0.12.29", "go1.17.1"},
            new String[] {"0.14.10", "go1.17.5"},
            new String[] {"0.14.36", "go1.18"},
            new String[] {"0.17.19", "go1.20.4"});

    /** Arguments (esbuild version, Go version) for a parameterized test. */
    public static Stream<org.junit.jupiter.params.provider.Arguments> esbuilds() {
        return ESBUILD.stream().map(e -> org.junit.jupiter.params.provider.Arguments.of(e[0], e[1]));
    }

    /** The esbuild executable of {@code version}, fetched from the npm registry on first use. */
    public static Path esbuild(String version) {
        Path dir = Path.of(System.getProperty("attachproof.fixtureCache", "target/go-fixtures")).toAbsolutePath()
                .resolveSibling("npm-fixtures").resolve("esbuild-" + version);
        Path exe = dir.resolve("package/bin/esbuild");
        if (Files.isRegularFile(exe)) {
            return exe;
        }
        try {
            Files.createDirectories(dir);
            // The package was renamed @esbuild/linux-x64 at 0.15.
            boolean scoped = Integer.parseInt(version.split("\\.")[1]) >= 15;
            run(dir, "npm", "pack", "--silent", (scoped ? "@esbuild/linux-x64@" : "esbuild-linux-64@") + version);
            run(dir, "tar", "xzf", (scoped ? "esbuild-linux-x64-" : "esbuild-linux-64-") + version + ".tgz");
            return exe;
        } catch (IOException e) {
            assumeTrue(false, "cannot fetch esbuild " + version + " from npm: " + e.getMessage());
            throw new IllegalStateException(e);
        }
    }

    private static void run(Path dir, String... cmd) throws IOException {
        Process p;
        try {
            p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        } catch (IOException e) {
            assumeTrue(false, cmd[0] + " is not installed: " + e.getMessage());
            throw e;
        }
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
                throw new IOException(String.join(" ", cmd) + " failed: " + out.strip());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }
}
