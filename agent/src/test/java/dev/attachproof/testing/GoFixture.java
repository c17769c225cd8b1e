package dev.attachproof.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Builds the Go programs under agent/go with a real Go toolchain, cached under
 * target/go-fixtures: rebuilt only when a source is newer than the binary. Static
 * (CGO_ENABLED=0), as the fixture images and the qemu initramfs want them.
 */
public final class GoFixture {
    private GoFixture() {}

    public static Path repo() {
        return Path.of(System.getProperty("attachproof.repo", "..")).toAbsolutePath().normalize();
    }

    /** {@code program} built by the {@code go} on PATH. */
    public static Path build(String program) {
        return build(program, null);
    }

    /** {@code program} built by toolchain {@code goVersion} (e.g. "go1.22.0", via GOTOOLCHAIN), or PATH's go when null. */
    public static Path build(String program, String goVersion) {
        Path module = repo().resolve("agent/go");
        Path cache = Path.of(System.getProperty("attachproof.fixtureCache", "target/go-fixtures"))
                .resolve(goVersion == null ? "default" : goVersion);
        Path binary = cache.resolve(program).toAbsolutePath();
        try {
            if (Files.exists(binary) && !newerSources(module, Files.getLastModifiedTime(binary).toMillis())) {
                return binary;
            }
            Files.createDirectories(cache);
            List<String> cmd = new ArrayList<>(List.of("go", "build", "-o", binary.toString(), "./" + program));
            ProcessBuilder pb = new ProcessBuilder(cmd).directory(module.toFile()).redirectErrorStream(true);
            pb.environment().put("CGO_ENABLED", "0");
            if (goVersion != null) {
                pb.environment().put("GOTOOLCHAIN", goVersion);
            }
            Process p;
            try {
                p = pb.start();
            } catch (IOException e) {
                assumeTrue(false, "no `go` on PATH: cannot build the Go fixture " + program);
                throw e;
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor() != 0) {
                throw new IllegalStateException("go build ./" + program + " failed:\n" + out);
            }
            // World-readable and executable: tests run it as other uids too.
            binary.toFile().setReadable(true, false);
            binary.toFile().setExecutable(true, false);
            return binary;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static boolean newerSources(Path module, long than) throws IOException {
        try (Stream<Path> files = Files.walk(module)) {
            return files.filter(f -> f.toString().endsWith(".go") || f.endsWith("go.mod"))
                    .anyMatch(f -> f.toFile().lastModified() > than);
        }
    }
}
