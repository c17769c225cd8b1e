package dev.attachproof.testing;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A real Delve built from its module through the Go module proxy (`go install
 * github.com/go-delve/delve/cmd/dlv@VERSION` with GOTOOLCHAIN=GO), so with symbols and build info,
 * unlike Debian's; cached under target/go-fixtures as the fixtures are.
 */
public final class DelveBuild {
    /** The Delve release the tests use, and the Go that builds it. */
    public static final String DELVE = "v1.25.2";
    public static final String BUILT_WITH = "go1.24.0";

    /** Debian's Delve (1.20.2 on bookworm), stripped, found where its package installs it. */
    public static final Path DEBIAN_DLV = Path.of("/usr/bin/dlv");

    private DelveBuild() {}

    /** Delve {@link #DELVE} built by {@link #BUILT_WITH}: the binary's path, built once. */
    public static Path dlv() throws Exception {
        return build(false);
    }

    /** The same Delve linked statically (CGO_ENABLED=0): it runs in any container image, even one FROM scratch. */
    public static Path staticDlv() throws Exception {
        return build(true);
    }

    private static synchronized Path build(boolean statically) throws Exception {
        Path bin = Path.of(System.getProperty("attachproof.fixtureCache", "target/go-fixtures"))
                .resolve("dlv-" + DELVE + "-" + BUILT_WITH + (statically ? "-static" : "")).toAbsolutePath();
        Path dlv = bin.resolve("dlv");
        if (Files.isExecutable(dlv)) {
            return dlv;
        }
        ProcessBuilder pb = new ProcessBuilder("go", "install", "github.com/go-delve/delve/cmd/dlv@" + DELVE)
                .directory(GoFixture.repo().resolve("agent/go").toFile()).redirectErrorStream(true);
        pb.environment().put("GOTOOLCHAIN", BUILT_WITH);
        pb.environment().put("GOBIN", bin.toString());
        pb.environment().put("GOFLAGS", "-mod=mod");
        if (statically) {
            pb.environment().put("CGO_ENABLED", "0");
        }
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        boolean built = p.waitFor(10, TimeUnit.MINUTES) && p.exitValue() == 0;
        if (!built) {
            ModuleProxy.skipIfUnreachable(out, "go install github.com/go-delve/delve/cmd/dlv@" + DELVE);
        }
        assertTrue(built, "go install dlv@" + DELVE + ":\n" + out);
        return dlv;
    }
}
