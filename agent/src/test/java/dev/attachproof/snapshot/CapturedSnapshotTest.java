package dev.attachproof.snapshot;

import dev.attachproof.report.GoroutinesText;
import dev.attachproof.testing.AgentCli;
import dev.attachproof.testing.FixtureProcess;
import dev.attachproof.testing.GoFixture;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The goroutine reader and the unwinder on captured memory, with no process: each capture
 * ({@link TargetCapture}, made by the hidden {@code __capture PID FILE} command) holds what a
 * stopped snapshot of the stacks fixture read, and the dump that live run printed; replayed on
 * the same executable, rebuilt here from the committed fixture source by the same toolchain with
 * -trimpath (the Go build id must match), it must print the same dump byte for byte.
 * <p>
 * A capture of another CPU is one more {@link Case}: build {@code agent/go/stacks} as the case
 * says (e.g. {@code GOTOOLCHAIN=go1.22.0 GOARCH=arm64 CGO_ENABLED=0 go build -trimpath ./stacks}),
 * run it on that CPU, run {@code java -jar agent/target/attachproof.jar __capture PID FILE} there (it
 * prints the dump it saved), compare that dump with the fixture's own (kill -USR2: it prints it
 * between STACKS BEGIN and STACKS END; only the dumping, spinning and os/signal goroutines may
 * differ, as {@code GoroutinesTest} compares), and drop the file under
 * {@code src/test/resources/dev/attachproof/captures/} with the case's name.
 */
class CapturedSnapshotTest {
    private static final Path CAPTURES = GoFixture.repo().resolve("agent/src/test/resources/dev/attachproof/captures");

    /** A capture and how to rebuild the executable it was taken of. */
    record Case(String file, String program, String toolchain, boolean stripped, GoFixture.Link link, String arch) {
        /** Built as {@link GoFixture#build(String, String, boolean, GoFixture.Link, String)} builds, with -trimpath. */
        Path executable() {
            List<String> flags = new ArrayList<>(List.of("-trimpath"));
            Map<String, String> env = new java.util.TreeMap<>();
            if (!arch.equals("amd64")) {
                env.put("GOARCH", arch);
            }
            String ldflags = stripped ? "-s -w" : "";
            if (link == GoFixture.Link.EXTERNAL_PIE) {
                assumeTrue(arch.equals("amd64"), "an external arm64 link is made with " + GoFixture.ARM64_CC + ": add it here when a capture needs it");
                env.put("CGO_ENABLED", "1");
                flags.add("-buildmode=pie");
                ldflags = ("-linkmode=external " + ldflags).strip();
            }
            if (!ldflags.isEmpty()) {
                flags.add("-ldflags=" + ldflags);
            }
            return GoFixture.build(program, toolchain, flags, env);
        }

        @Override
        public String toString() {
            return file;
        }
    }

    static Stream<Case> captures() {
        return Stream.of(
                new Case("stacks-go1.22.0-amd64.capture.gz", "stacks", "go1.22.0", false, GoFixture.Link.INTERNAL, "amd64"),
                // A PIE (the load bias) without symbols or DWARF (the layout table, allgs from code).
                new Case("stacks-go1.25.0-amd64-pie-stripped.capture.gz", "stacks", "go1.25.0", true,
                        GoFixture.Link.EXTERNAL_PIE, "amd64"),
                new Case("stacks-go1.22.0-arm64.capture.gz", "stacks", "go1.22.0", false, GoFixture.Link.INTERNAL, "arm64"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("captures")
    void replaysAsTheLiveRunPrinted(Case c) throws Exception {
        Path file = CAPTURES.resolve(c.file());
        assumeTrue(Files.exists(file), c.file() + " has not been captured yet (see the class comment)");
        TargetCapture capture;
        try (InputStream in = Files.newInputStream(file)) {
            capture = TargetCapture.read(in);
        }
        assertEquals(c.arch(), capture.arch());
        GoroutineSnapshot s = GoroutineSnapshot.replay(capture, c.executable());
        assertEquals(capture.text(), GoroutinesText.write(s, false));
        // What the capture exercises, so that a capture that lost it is noticed.
        assertTrue(capture.text().contains("[running]:\nmain.spin"), "a running goroutine, unwound from its thread's registers");
        assertTrue(capture.text().contains("frames elided..."), "the 120-deep recursion");
        assertTrue(Files.size(file) < 1 << 20, "a capture stays under 1 MB");
    }

    /** A capture replayed on another executable is refused, naming both build ids, rather than misread. */
    @org.junit.jupiter.api.Test
    void anotherExecutableIsRefused() throws Exception {
        List<Case> amd64 = amd64Captures().toList();
        Path file = CAPTURES.resolve(amd64.get(0).file());
        TargetCapture capture;
        try (InputStream in = Files.newInputStream(file)) {
            capture = TargetCapture.read(in);
        }
        SnapshotException e = org.junit.jupiter.api.Assertions.assertThrows(SnapshotException.class,
                () -> GoroutineSnapshot.replay(capture, amd64.get(1).executable()));
        assertTrue(e.getMessage().contains("is not the captured executable") && e.getMessage().contains(capture.goBuildId()),
                e.getMessage());
    }

    static Stream<Case> amd64Captures() {
        return captures().filter(c -> c.arch().equals("amd64"));
    }

    /**
     * Makes the amd64 captures again (after the fixture or the capture format changed):
     * {@code -Dattachproof.recapture=true}. The live run's dump is first compared with the
     * fixture's own, so that a capture holds a dump Go agrees with.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("amd64Captures")
    void recaptureAmd64(Case c) throws Exception {
        assumeTrue(Boolean.getBoolean("attachproof.recapture"), "set -Dattachproof.recapture=true to capture again");
        try (FixtureProcess t = FixtureProcess.start(c.executable())) {
            Path file = CAPTURES.resolve(c.file());
            Path tmp = Files.createTempFile("capture", ".gz");
            for (int attempt = 0; attempt < 20; attempt++) {
                AgentCli.Result r = AgentCli.run("__capture", Integer.toString(t.pid()), tmp.toString());
                assertEquals(0, r.exit(), r.stderr());
                if (r.stdout().contains("[running]:\nmain.spin") && !r.stdout().contains("fmt.Printf")) {
                    TargetCapture capture;
                    try (InputStream in = Files.newInputStream(tmp)) {
                        capture = TargetCapture.read(in);
                    }
                    GoroutineSnapshot replayed = GoroutineSnapshot.replay(capture, c.executable());
                    assertTrue(GoroutinesTest.sameAsGosOwnDump(t, replayed) >= 13);
                    Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                    t.assertRunningUntraced();
                    return;
                }
            }
            throw new AssertionError("no snapshot caught main.spin running in 20 tries");
        }
    }
}
