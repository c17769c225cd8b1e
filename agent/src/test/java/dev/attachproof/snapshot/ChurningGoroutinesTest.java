package dev.attachproof.snapshot;

import dev.attachproof.golang.Traceback;
import dev.attachproof.linux.Linux;
import dev.attachproof.procfs.ProcFs;
import dev.attachproof.ptrace.Tracer;
import dev.attachproof.testing.FixtureProcess;
import dev.attachproof.testing.GoFixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The snapshot copies goroutines and stacks while the target runs, then stops it and copies
 * again only what may have changed. On the churn fixture, whose goroutines park and wake all the
 * time (token passing through two call sites, stacks growing and shrinking, goroutines started
 * and exiting), the fixture is made to settle between that copy and the stop: every churning
 * goroutine runs once more and parks for good in a new place, and 50 goroutines parked at one
 * receive since the start wake and park at another receive of the same function, with the same
 * saved SP and PC (only their caller line differs, deep in their stacks). The dump must then read,
 * goroutine by goroutine, as the fixture's own runtime.Stack(all) taken after it: those that
 * moved were copied again while stopped (the same-SP ones too: running zeroed their g.waitsince),
 * and only goroutines whose non-zero waitsince proves they did not run kept the first copy.
 */
class ChurningGoroutinesTest {
    /** The fixture's defaults: pairs of token passers, stack growers, goroutines parked for good, same-SP ones. */
    private static final int PAIRS = 100;
    private static final int GROWERS = 50;
    private static final int STILL = 200;
    private static final int SAME = 50;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {GoFixture.DEBIAN_GO_1_19, "default"})
    void goroutinesThatMovedBetweenTheCopyAndTheStopReadAsGosOwnDump(String toolchain) throws Exception {
        churnedReadsAsGosOwnDump(toolchain);
    }

    /**
     * The same with one copy before the stop, as a snapshot of 500,000 goroutines or more makes
     * it: the stop compares with the first copy, and what moved since is copied again.
     */
    @Test
    void withOneCopyBeforeTheStopTooTheyReadAsGosOwnDump() throws Exception {
        System.setProperty(GoroutineSnapshot.SECOND_COPY_BELOW_PROPERTY, "0");
        try {
            churnedReadsAsGosOwnDump(GoFixture.DEBIAN_GO_1_19);
        } finally {
            System.clearProperty(GoroutineSnapshot.SECOND_COPY_BELOW_PROPERTY);
        }
    }

    private static void churnedReadsAsGosOwnDump(String toolchain) throws Exception {
        try (FixtureProcess t = FixtureProcess.start(GoFixture.build("churn", toolchain, false))) {
            GoroutineSnapshot s = GoroutineSnapshot.take(t.pid(), Tracer.shared(), ProcFs.live(), Linux.system(),
                    () -> settle(t));
            t.assertRunningUntraced();
            int churning = 2 * PAIRS + GROWERS + SAME + 1;   // and the goroutine starting short-lived ones
            // The fixture ran two collections before READY: every goroutine parked since then
            // has a non-zero waitsince, and those that did not run since the copy keep it. None
            // which moved keeps it (the same-SP ones included), and the dump below is exact.
            assertTrue(s.stacksKept() >= STILL, "the still goroutines kept their first copy: " + s.stacksKept() + " kept");
            assertTrue(s.goroutines().size() - s.stacksKept() >= churning,
                    "every goroutine that moved after the first copy was copied again: " + s.stacksKept() + " kept of "
                    + s.goroutines().size());

            // The same-SP goroutines are read at their second receive, not their first.
            List<String> source = java.nio.file.Files.readAllLines(GoFixture.repo().resolve("agent/go/churn/main.go"));
            int second = source.indexOf("\t<-sameNext") + 1;
            assertTrue(second > 0);
            List<Integer> sameAt = s.goroutines().stream()
                    .flatMap(e -> e.stack().frames().stream().filter(f -> f.function().equals("main.sameSP")).limit(1))
                    .map(Traceback.Frame::line).toList();
            assertEquals(java.util.Collections.nCopies(SAME, second), sameAt);

            int compared = GoroutinesTest.sameAsGosOwnDump(t, s);
            assertTrue(compared >= STILL + churning, "compared " + compared);
        }
    }

    /** Has the fixture settle (SIGUSR1) and waits until it says every goroutine has parked for good. */
    private static void settle(FixtureProcess t) {
        try {
            new ProcessBuilder("kill", "-USR1", Integer.toString(t.pid())).start().waitFor();
            for (String line = t.nextLine(30); !"SETTLED".equals(line); line = t.nextLine(30)) {
                assertTrue(line != null, "the fixture did not settle");
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
