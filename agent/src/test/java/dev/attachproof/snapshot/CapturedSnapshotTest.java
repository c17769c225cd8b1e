package dev.attachproof.snapshot;

import dev.attachproof.testing.AgentCli;
import dev.attachproof.testing.CaptureCase;
import dev.attachproof.testing.FixtureProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The goroutine reader and the unwinder on captured memory, with no process: each capture
 * ({@link TargetCapture}, made by the hidden {@code __capture PID FILE} command) holds what a
 * stopped snapshot of the stacks fixture read, and the dump that live run printed; replayed on
 * the same executable, rebuilt here from the committed fixture source by the same toolchain with
 * -trimpath (the Go build id must match), it must print the same dump byte for byte.
 * <p>
 * The cases are {@link CaptureCase}'s. The amd64 captures are made here ({@link #recaptureAmd64});
 * the arm64 ones in it-tests' Arm64KernelTest, which boots an arm64 kernel under qemu, runs
 * {@code __capture} on each arm64 case's fixture there, compares the dump with the fixture's own
 * runtime.Stack(all), replays the capture on the host, and with {@code -Dattachproof.recapture=true}
 * writes it here.
 */
class CapturedSnapshotTest {

    static Stream<CaptureCase> captures() {
        return CaptureCase.all();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("captures")
    void replaysAsTheLiveRunPrinted(CaptureCase c) throws Exception {
        Path file = c.committed();
        assumeTrue(Files.exists(file), c.file() + " has not been captured yet (see the class comment)");
        c.assertReplays(CaptureCase.read(file));
        assertTrue(Files.size(file) < 1 << 20, "a capture stays under 1 MB");
    }

    /** A capture replayed on another executable is refused, naming both build ids, rather than misread. */
    @Test
    void anotherExecutableIsRefused() throws Exception {
        List<CaptureCase> amd64 = amd64Captures().toList();
        TargetCapture capture = CaptureCase.read(amd64.get(0).committed());
        SnapshotException e = assertThrows(SnapshotException.class,
                () -> GoroutineSnapshot.replay(capture, amd64.get(1).executable()));
        assertTrue(e.getMessage().contains("is not the captured executable") && e.getMessage().contains(capture.goBuildId()),
                e.getMessage());
    }

    static Stream<CaptureCase> amd64Captures() {
        return CaptureCase.of("amd64");
    }

    /**
     * Makes the amd64 captures again (after the fixture or the capture format changed):
     * {@code -Dattachproof.recapture=true}. The live run's dump is first compared with the
     * fixture's own, so that a capture holds a dump Go agrees with.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("amd64Captures")
    void recaptureAmd64(CaptureCase c) throws Exception {
        assumeTrue(Boolean.getBoolean("attachproof.recapture"), "set -Dattachproof.recapture=true to capture again");
        try (FixtureProcess t = FixtureProcess.start(c.executable())) {
            Path tmp = Files.createTempFile("capture", ".gz");
            for (int attempt = 0; attempt < 20; attempt++) {
                AgentCli.Result r = AgentCli.run("__capture", Integer.toString(t.pid()), tmp.toString());
                assertEquals(0, r.exit(), r.stderr());
                if (r.stdout().contains("[running]:\nmain.spin") && !r.stdout().contains("fmt.Printf")) {
                    GoroutineSnapshot replayed = GoroutineSnapshot.replay(CaptureCase.read(tmp), c.executable());
                    assertTrue(GoroutinesTest.sameAsGosOwnDump(t, replayed) >= 13);
                    Files.move(tmp, c.committed(), StandardCopyOption.REPLACE_EXISTING);
                    t.assertRunningUntraced();
                    return;
                }
            }
            throw new AssertionError("no snapshot caught main.spin running in 20 tries");
        }
    }
}
