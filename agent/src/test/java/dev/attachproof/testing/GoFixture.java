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
        return build(program, goVersion, List.of());
    }

    /**
     * The toolchains the binary readers are checked on, each with and without -ldflags=-s -w:
     * Debian's 1.19 (pcln format 0xfffffff0), 1.22.0 through GOTOOLCHAIN, and the go on PATH
     * ("default"). Arguments (toolchain, stripped) for a parameterized test.
     */
    public static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> toolchainMatrix() {
        return java.util.stream.Stream.of(DEBIAN_GO_1_19, "go1.22.0", "default").flatMap(t -> java.util.stream.Stream.of(
                org.junit.jupiter.params.provider.Arguments.of(t, false), org.junit.jupiter.params.provider.Arguments.of(t, true)));
    }

    /** {@code program} built for one row of {@link #toolchainMatrix()}, skipped visibly when that toolchain is missing. */
    public static Path build(String program, String toolchain, boolean stripped) {
        assumeTrue(available(toolchain), toolchain + " is not installed");
        return build(program, toolchain.equals("default") ? null : toolchain, stripped ? List.of("-ldflags=-s -w") : List.of());
    }

    /**
     * How a fixture is linked. {@code INTERNAL}: Go's own linker, static (CGO_ENABLED=0), as the
     * other builds here. {@code EXTERNAL_PIE}: as distributions build Go programs (Debian, Fedora
     * and RHEL default to PIE, and anything with cgo links externally): cgo on,
     * -buildmode=pie, -linkmode=external, the system's C linker (a cross gcc for arm64).
     */
    public enum Link { INTERNAL, EXTERNAL_PIE }

    /**
     * {@code program} built by {@code toolchain} (as in {@link #toolchainMatrix()}) for {@code
     * arch}, linked as {@code link} says, stripped with -s -w or not; skipped visibly when the
     * toolchain, or the C cross compiler an external arm64 link needs, is missing.
     */
    public static Path build(String program, String toolchain, boolean stripped, Link link, String arch) {
        return build(program, toolchain, stripped, link, arch, false);
    }

    /**
     * As {@link #build(String, String, boolean, Link, String)}, with -trimpath when {@code
     * trimpath}: no path of this machine in the binary, so the same toolchain rebuilds it with the
     * same Go build id in any checkout (what a committed capture is replayed on).
     */
    public static Path build(String program, String toolchain, boolean stripped, Link link, String arch, boolean trimpath) {
        assumeTrue(available(toolchain), toolchain + " is not installed");
        String go = toolchain.equals("default") ? null : toolchain;
        java.util.Map<String, String> env = new java.util.TreeMap<>();
        if (!arch.equals("amd64")) {   // as the other builds: the host's (amd64) without a GOARCH, so they share the cache
            env.put("GOARCH", arch);
        }
        List<String> flags = new ArrayList<>(trimpath ? List.of("-trimpath") : List.of());
        String ldflags = stripped ? "-s -w" : "";
        if (link == Link.EXTERNAL_PIE) {
            env.put("CGO_ENABLED", "1");
            if (arch.equals("arm64")) {
                assumeTrue(onPath(ARM64_CC), ARM64_CC + " is not installed (apt-get install gcc-aarch64-linux-gnu)");
                env.put("CC", ARM64_CC);
            } else {
                assumeTrue(onPath("gcc"), "gcc is not installed: cgo cannot link (apt-get install gcc)");
            }
            flags.add("-buildmode=pie");
            ldflags = ("-linkmode=external " + ldflags).strip();
        }
        if (!ldflags.isEmpty()) {
            flags.add("-ldflags=" + ldflags);
        }
        return build(program, go, flags, env);
    }

    /** The C cross compiler for arm64 cgo builds (Debian's gcc-aarch64-linux-gnu). */
    public static final String ARM64_CC = "aarch64-linux-gnu-gcc";

    private static boolean onPath(String command) {
        return java.util.Arrays.stream(System.getenv().getOrDefault("PATH", "").split(":"))
                .anyMatch(d -> !d.isEmpty() && Files.isExecutable(Path.of(d, command)));
    }

    /** Debian's Go 1.19, which GOTOOLCHAIN cannot fetch (it starts at 1.21). */
    public static final String DEBIAN_GO_1_19 = "debian-go1.19";
    private static final Path DEBIAN_GO_1_19_BIN = Path.of("/usr/lib/go-1.19/bin/go");

    /** The GOROOT of {@code toolchain} (as for {@link #build(String, String, List)}): its runtime sources live there. */
    public static Path goroot(String goVersion) {
        if (DEBIAN_GO_1_19.equals(goVersion)) {
            return DEBIAN_GO_1_19_BIN.getParent().getParent();
        }
        try {
            ProcessBuilder pb = new ProcessBuilder("go", "env", "GOROOT").directory(repo().resolve("agent/go").toFile());
            if (goVersion != null) {
                pb.environment().put("GOTOOLCHAIN", goVersion);
            }
            Process p = pb.redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (p.waitFor() != 0 || out.isEmpty()) {
                ModuleProxy.skipIfUnreachable(out, "GOTOOLCHAIN=" + goVersion + " go env GOROOT");
                throw new IllegalStateException("go env GOROOT failed for " + goVersion + ":\n" + out);
            }
            return Path.of(out);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Whether {@code toolchain} can be used here: Debian's 1.19 must be installed; others come through the proxy. */
    public static boolean available(String toolchain) {
        return !DEBIAN_GO_1_19.equals(toolchain) || Files.isExecutable(DEBIAN_GO_1_19_BIN);
    }

    /**
     * {@code program} built by {@code goVersion} ("go1.22.0" through GOTOOLCHAIN, {@link
     * #DEBIAN_GO_1_19}, or null for PATH's go) with extra build flags (e.g. "-ldflags=-s -w").
     */
    public static Path build(String program, String goVersion, List<String> flags) {
        return build(program, goVersion, flags, java.util.Map.of());
    }

    /**
     * As {@link #build(String, String, List)}, with extra environment (e.g. GOARCH=arm64 for a
     * cross build, which the readers read and nothing runs).
     */
    public static Path build(String program, String goVersion, List<String> flags, java.util.Map<String, String> env) {
        Path module = repo().resolve("agent/go");
        String key = String.join(" ", flags) + (env.isEmpty() ? "" : " " + new java.util.TreeMap<>(env));
        String variant = key.isEmpty() ? "" : "-" + Integer.toHexString(key.hashCode());
        Path cache = Path.of(System.getProperty("attachproof.fixtureCache", "target/go-fixtures"))
                .resolve((goVersion == null ? "default" : goVersion) + variant);
        Path binary = cache.resolve(program).toAbsolutePath();
        try {
            if (Files.exists(binary) && !newerSources(module, Files.getLastModifiedTime(binary).toMillis())) {
                return binary;
            }
            Files.createDirectories(cache);
            boolean debian = DEBIAN_GO_1_19.equals(goVersion);
            assumeTrue(available(goVersion), "Debian's golang-1.19-go is not installed");
            List<String> cmd = new ArrayList<>(List.of(debian ? DEBIAN_GO_1_19_BIN.toString() : "go", "build", "-o", binary.toString()));
            cmd.addAll(flags);
            cmd.add("./" + program);
            ProcessBuilder pb = new ProcessBuilder(cmd).directory(module.toFile()).redirectErrorStream(true);
            pb.environment().put("CGO_ENABLED", "0");
            pb.environment().putAll(env);
            if (debian) {
                pb.environment().put("GOTOOLCHAIN", "local");
            } else if (goVersion != null) {
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
                if (goVersion != null && !debian) {
                    ModuleProxy.skipIfUnreachable(out, "GOTOOLCHAIN=" + goVersion + " go build ./" + program);
                }
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
