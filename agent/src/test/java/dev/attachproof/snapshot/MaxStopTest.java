package dev.attachproof.snapshot;

import dev.attachproof.linux.Linux;
import dev.attachproof.procfs.ProcFs;
import dev.attachproof.ptrace.Tracer;
import dev.attachproof.testing.FixtureProcess;
import dev.attachproof.testing.GoFixture;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The stop's limit: a snapshot that reaches it lets the target go at once and reads the stacks it
 * had not copied while the target runs, marking them; one that does not is as without a limit.
 */
class MaxStopTest {
    @Test
    void aStopThatReachesItsLimitLetsTheTargetGoAndReadsTheRestAfter() throws Exception {
        Path binary = GoFixture.build("stacks");
        // A limit of 1 ns (the CLI takes 1 ms and more): reached before the first stack batch,
        // so every stack not kept from the copy made before the stop is read after it.
        try (FixtureProcess t = FixtureProcess.start(binary, "-crowd", "20000")) {
            GoroutineSnapshot s = GoroutineSnapshot.take(t.pid(), false, Duration.ofNanos(1), Tracer.shared(),
                    ProcFs.live(), Linux.system());
            t.assertRunningUntraced();
            assertEquals(0, s.maxStopMicros());
            assertTrue(s.readAfterStop() > 0 && s.readAfterStop() + Math.max(s.stacksKept(), 0) >= 20_000,
                    s.readAfterStop() + " stacks read after the stop, " + s.stacksKept() + " kept");
            assertTrue(s.notes().stream().anyMatch(n -> n.startsWith("the stop reached its limit (")), s.notes().toString());
            assertEquals(s.readAfterStop(), s.goroutines().stream().filter(GoroutineSnapshot.Entry::readAfterStop).count());
            // What goroutines wait on is read within the limit too: past it no batch is begun (15,006
            // of the crowd wait on one channel). Those that stood since the read made before the
            // stop keep what it found (WaitReader#read); no other is named.
            assertTrue(s.notes().stream().anyMatch(n -> n.startsWith("the stop reached its limit while what goroutines wait on")),
                    s.notes().toString());
            assertEquals(s.waiting().raw().adopted(), s.goroutines().stream().filter(e -> s.waiting().of(e) != null).count());
            // The goroutines stay parked: what was read after the stop is what Go prints, and the
            // copy's pieces (kept, copied while stopped, read after) are stitched right.
            assertTrue(GoroutinesTest.sameAsGosOwnDump(t, s) > 20_000);
        }
    }

    @Test
    void aStopWithinItsLimitReadsEverythingWhileStopped() throws Exception {
        try (FixtureProcess t = FixtureProcess.start(GoFixture.build("stacks"))) {
            GoroutineSnapshot s = GoroutineSnapshot.take(t.pid(), false, Duration.ofSeconds(10), Tracer.shared(),
                    ProcFs.live(), Linux.system());
            assertEquals(10_000_000, s.maxStopMicros());
            assertEquals(0, s.readAfterStop());
            assertFalse(s.notes().stream().anyMatch(n -> n.contains("limit")), s.notes().toString());
            assertTrue(s.goroutines().stream().anyMatch(e -> s.waiting().of(e) != null), "within the limit, waits are read");
            assertTrue(GoroutinesTest.sameAsGosOwnDump(t, s) > 5);
        }
    }

    @Test
    void limitsAreReadAsGoWritesDurations() {
        assertEquals(Duration.ofMillis(50), MaxStop.parse("50ms").orElseThrow());
        assertEquals(Duration.ofMillis(200), MaxStop.parse("0.2s").orElseThrow());
        assertEquals(Duration.ofMillis(1), MaxStop.parse("1000us").orElseThrow());
        assertEquals(Duration.ofMillis(2), MaxStop.parse("2000µs").orElseThrow());
        assertTrue(MaxStop.parse("off").isEmpty());
        assertEquals("50ms", MaxStop.format(Duration.ofMillis(50)));
        assertEquals("2s", MaxStop.format(Duration.ofSeconds(2)));
        assertEquals("1500us", MaxStop.format(Duration.ofNanos(1_500_000)));
        for (String bad : new String[] {"50", "fast", "-5ms", "5 minutes", "", "0ms", "500ns", "2m", "1e3ms"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MaxStop.parse(bad), bad);
            assertTrue(e.getMessage().contains("give"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> MaxStop.parse("61s"));
    }
}
