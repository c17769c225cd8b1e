package dev.attachproof.pclntab;

import dev.attachproof.testing.GoFixture;
import org.junit.jupiter.params.provider.Arguments;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the tests of this package ask Go itself: a fixture's output, a toolchain's GOROOT. */
final class GoRun {
    private GoRun() {}

    /**
     * The {@link GoFixture#toolchainMatrix()} and, unstripped, the releases between and after that
     * number funcIDs or lay out moduledata differently or might: 1.21 (first FuncID in
     * internal/abi), 1.23, 1.24, 1.25 (runFinalizers, runCleanups) and 1.26.0, through GOTOOLCHAIN.
     */
    static Stream<Arguments> everyRelease() {
        return Stream.concat(GoFixture.toolchainMatrix(), Stream.of("go1.21.0", "go1.23.0", "go1.24.0", "go1.25.0", "go1.26.0")
                .map(t -> Arguments.of(t, false)));
    }

    /** Runs {@code cmd} with {@code stdin} and returns its standard output; fails on a non-zero exit. */
    static String run(List<String> cmd, String stdin) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), cmd + " timed out");
        assertEquals(0, p.exitValue(), cmd + " failed");
        return out.get();
    }

    /** The GOROOT of a {@link GoFixture#toolchainMatrix()} toolchain, where its sources are. */
    static Path goroot(String toolchain) {
        return GoFixture.goroot(toolchain.equals("default") ? null : toolchain);
    }

    /**
     * A name as Go's tracebacks and CallersFrames (1.21 on) print it: a generic instantiation's
     * shape arguments become "[...]" (runtime.funcNamePiecesForPrint). Applied to both sides, as
     * Go 1.19 prints the linker's name.
     */
    static String printName(String name) {
        int i = name.indexOf('[');
        int j = name.lastIndexOf(']');
        return i < 0 || j <= i ? name : name.substring(0, i) + "[...]" + name.substring(j + 1);
    }
}
