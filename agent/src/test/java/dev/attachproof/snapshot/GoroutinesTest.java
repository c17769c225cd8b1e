package dev.attachproof.snapshot;

import dev.attachproof.linux.Linux;
import dev.attachproof.procfs.ProcFs;
import dev.attachproof.ptrace.Tracer;
import dev.attachproof.report.GoroutinesText;
import dev.attachproof.testing.AgentCli;
import dev.attachproof.testing.FixtureProcess;
import dev.attachproof.testing.GoFixture;
import dev.attachproof.testing.GosOwnDump;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The snapshot against Go's own runtime.Stack(all) of the same process: the stacks fixture parks
 * goroutines in known places (channel, select, locks, WaitGroup, Cond, sleep, 120-deep recursion,
 * a locked thread, a generic function, a read syscall) and prints its own dump on SIGUSR2. Taken
 * one after the other, every goroutine that stays parked must read the same, byte for byte: id,
 * status and wait reason, every frame's function and argument words, file:line and +0x offset,
 * elided frames, "created by". Only the
 * goroutine that prints the dump, the one spinning (running for us, runnable in Go's stopped
 * world) and os/signal's loop, which the SIGUSR2 wakes, differ by nature. For Debian's Go 1.19, 1.22 and the go on PATH, stripped and not.
 */
class GoroutinesTest {
    /**
     * Every toolchain the layout table is made from (Debian's 1.19, 1.21 to 1.26), stripped and
     * not, each linked by Go's linker and as distributions link (cgo, PIE, the system linker).
     */
    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> everyRelease() {
        return dev.attachproof.golang.LayoutGenerator.TOOLCHAINS.stream().flatMap(t -> java.util.stream.Stream.of(GoFixture.Link.values())
                .flatMap(link -> java.util.stream.Stream.of(false, true).map(stripped -> org.junit.jupiter.params.provider.Arguments.of(t, stripped, link))));
    }

    @ParameterizedTest(name = "{0} stripped={1} {2}")
    @MethodSource("everyRelease")
    void matchesGosOwnTraceback(String toolchain, boolean stripped, GoFixture.Link link) throws Exception {
        try (FixtureProcess t = FixtureProcess.start(GoFixture.build("stacks", toolchain, stripped, link, "amd64"))) {
            // The spinning goroutine runs on its thread: its stack comes from that thread's
            // registers. On a loaded machine the stop can catch it preempted, or its thread in a
            // signal handler: then another snapshot, a bounded number of times.
            GoroutineSnapshot s = null;
            java.util.Optional<GoroutineSnapshot.Entry> spinner = java.util.Optional.empty();
            for (int attempt = 0; attempt < 20 && spinner.isEmpty(); attempt++) {
                s = settled(t.pid());
                spinner = s.goroutines().stream().filter(e -> !e.stack().frames().isEmpty()
                        && e.stack().frames().getFirst().function().equals("main.spin")
                        && e.g().statusText().equals("running")).findFirst();
            }
            t.assertRunningUntraced();
            assertEquals(stripped ? "code of runtime.allgadd" : "symbols", s.listMethod());
            assertEquals(stripped ? "table" : "dwarf", s.layoutSource().split(" ")[0]);
            assertTrue(spinner.isPresent(), "the running goroutine's stack, read from its registers, in one of 20 snapshots");
            assertEquals("running", spinner.get().g().statusText());
            assertTrue(spinner.get().threadId() != null);
            // The goroutine the fixture runs under pprof.Do(..., Labels("worker", "w1", "shard", "3")).
            var labelled = s.goroutines().stream().filter(e -> e.stack().frames().stream()
                    .anyMatch(f -> f.function().equals("runtime/pprof.Do"))).toList();
            assertEquals(1, labelled.size());
            assertEquals(Map.of("shard", "3", "worker", "w1"), labelled.getFirst().labels());
            assertTrue(s.goroutines().stream().filter(e -> e != labelled.getFirst()).allMatch(e -> e.labels().isEmpty()));

            assertTrue(sameAsGosOwnDump(t, s) >= 13);
            assertTrue(s.goroutines().stream().anyMatch(e -> e.stack().elided() > 0), "the 120-deep recursion is cut as Go cuts it");
        }
    }

    @Test
    void badInputIsOneLineAndExit2() throws Exception {
        AgentCli.Result notGo = AgentCli.run("goroutines", Long.toString(ProcessHandle.current().pid()));
        assertEquals(2, notGo.exit(), notGo.stderr());
        assertTrue(notGo.stderr().contains("not a Go program"), notGo.stderr());
        assertEquals(1, notGo.stderr().strip().lines().count(), notGo.stderr());
        AgentCli.Result gone = AgentCli.run("goroutines", "999999999");
        assertEquals(2, gone.exit());
        assertEquals(1, gone.stderr().strip().lines().count(), gone.stderr());
    }

    @Test
    void aDeniedAttachIsOneLineNamingTheErrnoAndTheDoctor() throws Exception {
        try (FixtureProcess t = FixtureProcess.start(GoFixture.build("stacks"))) {
            AgentCli.Result r = AgentCli.run("restricted", "--seccomp-deny", "ptrace", "--", "goroutines", Integer.toString(t.pid()));
            assertEquals(2, r.exit(), r.stderr());
            assertEquals(1, r.stderr().strip().lines().count(), r.stderr());
            assertTrue(r.stderr().contains("EPERM") && r.stderr().contains("attachproof doctor"), r.stderr());
            assertEquals("", r.stdout(), "never a partial dump");
            t.assertRunningUntraced();
        }
    }

    @Test
    void withProcessVmReadvDeniedTheSnapshotIsReadAnotherWayAndIsTheSame() throws Exception {
        try (FixtureProcess t = FixtureProcess.start(GoFixture.build("stacks"))) {
            String pid = Integer.toString(t.pid());
            AgentCli.Result plain = AgentCli.run("goroutines", pid);
            AgentCli.Result denied = AgentCli.run("restricted", "--seccomp-deny", "process_vm_readv", "--", "goroutines", pid);
            assertEquals(0, denied.exit(), denied.stderr());
            Map<String, String> a = GosOwnDump.blocks(plain.stdout());
            Map<String, String> b = GosOwnDump.blocks(denied.stdout());
            assertEquals(a.keySet(), b.keySet());
            a.forEach((id, block) -> {
                if (!block.contains("[running]") && !block.contains("os/signal.")) {
                    assertEquals(block, b.get(id), "goroutine " + id);
                }
            });
            t.assertRunningUntraced();
        }
    }

    @Test
    void aGoReleaseNeitherTableNorDwarfDescribesIsRefusedInOneLine() throws Exception {
        // esbuild 0.14.10: Go 1.17.5, stripped; with no arguments it reads its input from stdin.
        java.nio.file.Path esbuild = dev.attachproof.testing.OldGoBinaries.esbuild("0.14.10");
        Process p = new ProcessBuilder("/bin/sh", "-c", "exec 3<&0; \"$0\" <&3 3<&- & echo $!; wait", esbuild.toString()).start();
        try {
            String pid = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream())).readLine().strip();
            AgentCli.Result r = AgentCli.run("goroutines", pid);
            assertEquals(2, r.exit(), r.stderr());
            assertEquals(1, r.stderr().strip().lines().count(), r.stderr());
            assertTrue(r.stderr().contains("go1.17.5 is not supported") && r.stderr().contains("no Go 1.17 on amd64"), r.stderr());
        } finally {
            p.getOutputStream().close();
            p.destroy();
            p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
        }
    }

    @Test
    void noStopReadsWithoutPtraceAndSaysSo() throws Exception {
        try (FixtureProcess t = FixtureProcess.start(GoFixture.build("stacks"))) {
            // The spinning goroutine is running when its g is read, unless the scheduler has just
            // preempted it (a loaded machine: CI once caught it so); up to three reads find it.
            boolean sawRunning = false;
            for (int attempt = 0; attempt < 3 && !sawRunning; attempt++) {
                AgentCli.Result r = AgentCli.run("goroutines", Integer.toString(t.pid()), "--no-stop", "--format", "json");
                assertEquals(0, r.exit(), r.stderr());
                var root = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.stdout());
                assertEquals(false, root.get("stopped").asBoolean());
                assertTrue(root.get("stoppedMicros").isNull());
                assertTrue(root.get("notes").get(0).asText().contains("without stopping"), r.stdout());
                for (var g : root.get("goroutines")) {
                    if (g.get("status").asText().equals("running")) {
                        sawRunning = true;
                        assertTrue(g.get("frames").isEmpty()
                                && g.get("stackNote").asText().equals("goroutine running on other thread; stack unavailable"),
                                "a running goroutine is said to have no stack, as Go says it: " + g);
                    }
                }
            }
            assertTrue(sawRunning, "the spinning goroutine was running in none of three reads");
            t.assertRunningUntraced();
        }
    }

    @Test
    void theCliPrintsJsonAndLeavesTheTargetRunning() throws Exception {
        try (FixtureProcess t = FixtureProcess.start(GoFixture.build("stacks"))) {
            AgentCli.Result r = AgentCli.run("goroutines", Integer.toString(t.pid()), "--format", "json");
            assertEquals(0, r.exit(), r.stderr());
            var root = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.stdout());
            assertEquals("attachproof.goroutines/v1", root.get("schema").asText());
            assertTrue(root.get("stopped").asBoolean());
            assertTrue(root.get("stoppedMicros").asLong() > 0);
            boolean sawChanReceive = false;
            for (var g : root.get("goroutines")) {
                if ("chan receive".equals(g.get("waitReason").asText(null))) {
                    sawChanReceive = true;
                    assertTrue(g.get("frames").size() > 0, g.toString());
                }
            }
            assertTrue(sawChanReceive, r.stdout());
            t.assertRunningUntraced();
        }
    }

    @Test
    void pprofOpensInGoToolPprofAndGroupCountsEveryGoroutine() throws Exception {
        try (FixtureProcess t = FixtureProcess.start(GoFixture.build("stacks"))) {
            java.nio.file.Path profile = java.nio.file.Files.createTempFile("goroutines", ".pb.gz");
            AgentCli.Result r = AgentCli.run("goroutines", Integer.toString(t.pid()), "--format", "pprof", "-o", profile.toString());
            assertEquals(0, r.exit(), r.stderr());
            Process p = new ProcessBuilder("go", "tool", "pprof", "-top", profile.toString()).redirectErrorStream(true).start();
            String top = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertEquals(0, p.waitFor(), top);
            AgentCli.Result text = AgentCli.run("goroutines", Integer.toString(t.pid()));
            long goroutines = text.stdout().lines().filter(l -> l.startsWith("goroutine ")).count();
            assertTrue(top.contains("Type: goroutine"), top);
            assertTrue(top.contains("of " + goroutines + " total"), "every goroutine the text shows is a sample:\n" + top);
            assertTrue(top.contains("main.recurse") && top.contains("main.waitFor["), top);   // named as Go's own profile names it

            AgentCli.Result grouped = AgentCli.run("goroutines", Integer.toString(t.pid()), "--group");
            assertEquals(0, grouped.exit(), grouped.stderr());
            long counted = grouped.stdout().lines().filter(l -> l.matches("^\\d+ goroutines? \\[.*"))
                    .mapToLong(l -> Long.parseLong(l.substring(0, l.indexOf(' ')))).sum();
            assertEquals(goroutines, counted, grouped.stdout());
            t.assertRunningUntraced();
        }
    }

    /**
     * Go 1.26 prints a goroutine's pprof labels in its header when GODEBUG has tracebacklabels=1:
     * so does the snapshot, for that target only.
     */
    @Test
    void labelsInTheHeaderWhereGoPrintsThem() throws Exception {
        java.nio.file.Path binary = GoFixture.build("stacks", "go1.26.0", false);
        try (FixtureProcess t = FixtureProcess.start(List.of("env", "GODEBUG=tracebacklabels=1", binary.toString()))) {
            GoroutineSnapshot s = settled(t.pid());
            assertTrue(s.labelsShown());
            String text = GoroutinesText.write(s, false);
            assertTrue(text.contains(" labels:{\"shard\": \"3\", \"worker\": \"w1\"}]:"), "the labelled goroutine's header");
            assertTrue(sameAsGosOwnDump(t, s) >= 13);
        }
        try (FixtureProcess t = FixtureProcess.start(binary)) {
            assertTrue(!settled(t.pid()).labelsShown(), "without the GODEBUG setting, no labels in headers");
        }
    }

    /**
     * A crowd of 20,000 more goroutines: the copies run in many batches on two threads, the
     * stacks are copied unsorted, the unwinding is split between three threads (fixed: the count
     * otherwise follows the machine's load). Every goroutine still reads as Go prints it.
     */
    @Test
    void aCrowdOf20000ReadsAsGosOwnDump() throws Exception {
        try (FixtureProcess t = FixtureProcess.start(GoFixture.build("stacks", GoFixture.DEBIAN_GO_1_19, false), "-crowd", "20000")) {
            GoroutineSnapshot s;
            System.setProperty(GoroutineSnapshot.UNWIND_THREADS, "3");
            try {
                s = settled(t.pid());
            } finally {
                System.clearProperty(GoroutineSnapshot.UNWIND_THREADS);
            }
            t.assertRunningUntraced();
            assertTrue(s.goroutines().size() > 20_000);
            assertTrue(sameAsGosOwnDump(t, s) > 20_000);
        }
    }

    /**
     * The same crowd, its text written while the goroutines are still unwound (a progressive
     * snapshot, as the goroutines command takes for text): each entry read waits for its block,
     * and the dump still reads as Go prints it, goroutine by goroutine, in allgs order.
     */
    @Test
    void aCrowdOf20000WrittenWhileItIsUnwoundReadsAsGosOwnDump() throws Exception {
        try (FixtureProcess t = FixtureProcess.start(GoFixture.build("stacks", GoFixture.DEBIAN_GO_1_19, false), "-crowd", "20000")) {
            settled(t.pid());
            GoroutineSnapshot s;
            System.setProperty(GoroutineSnapshot.UNWIND_THREADS, "3");
            try {
                s = GoroutineSnapshot.take(t.pid(), false, null, Tracer.shared(), ProcFs.live(), Linux.system(),
                        dev.attachproof.cache.BinaryCache.off(), new GoroutineSnapshot.Reading(false, true, true));
            } finally {
                System.clearProperty(GoroutineSnapshot.UNWIND_THREADS);
            }
            t.assertRunningUntraced();
            assertTrue(sameAsGosOwnDump(t, s) > 20_000);
            // Read once, as the text command reads them: each entry was let go once read, and
            // the counts the command prints after the text still count them all.
            assertNull(s.goroutines().get(0), "the first entry, read once, was let go");
            assertTrue(s.systemGoroutines() > 0, s.systemGoroutines() + " system goroutines counted");
            assertEquals(0, s.readAfterStop());
            assertTrue(s.phaseMicros().containsKey("unwind"), "the unwinding's time, once every entry was read");
        }
    }

    /**
     * Has the fixture print its own dump (SIGUSR2) and compares it with snapshot {@code s}
     * ({@link GosOwnDump#assertSame}); returns how many goroutines were compared.
     */
    static int sameAsGosOwnDump(FixtureProcess t, GoroutineSnapshot s) throws Exception {
        String ours = GoroutinesText.write(s, false);
        new ProcessBuilder("kill", "-USR2", Integer.toString(t.pid())).start().waitFor();
        StringBuilder dump = new StringBuilder();
        for (String line = t.nextLine(30); !"STACKS END".equals(line); line = t.nextLine(30)) {
            assertTrue(line != null, "the fixture printed no dump");
            if (!line.equals("STACKS BEGIN")) {
                dump.append(line).append('\n');
            }
        }
        return GosOwnDump.assertSame(dump.toString(), ours);
    }

    /**
     * A snapshot taken once the fixture's main goroutine has left the write of its READY line:
     * the kernel wakes the reader of a pipe before the writer's write returns, so the first
     * snapshot can catch main still inside fmt.Printf (a state Go's later dump cannot show).
     * Main is on its way out of that write, so a few snapshots see it gone; when 100 in a row
     * still find it there, the test fails with main's stack rather than compare a state that
     * Go's own dump cannot show.
     */
    static GoroutineSnapshot settled(int pid) throws Exception {
        GoroutineSnapshot s = null;
        for (int attempt = 0; attempt < 100; attempt++) {
            s = GoroutineSnapshot.take(pid, false, Tracer.shared(), ProcFs.live(), Linux.system());
            if (announcing(s).isEmpty()) {
                return s;
            }
        }
        throw new AssertionError("pid " + pid + ": main (goroutine 1) was still inside fmt.Printf, writing its READY line, "
                + "in 100 snapshots in a row; its stack in the last: " + announcing(s).get().stack().frames().stream()
                .map(f -> f.function()).toList());
    }

    /** Goroutine 1 when it is inside fmt.Printf. */
    private static java.util.Optional<GoroutineSnapshot.Entry> announcing(GoroutineSnapshot s) {
        return s.goroutines().stream().filter(e -> e.g().id() == 1
                && e.stack().frames().stream().anyMatch(f -> f.function().equals("fmt.Printf"))).findFirst();
    }
}
