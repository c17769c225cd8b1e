package dev.attachproof.snapshot;

import dev.attachproof.linux.Linux;
import dev.attachproof.procfs.ProcFs;
import dev.attachproof.ptrace.AttachResult;
import dev.attachproof.ptrace.PtraceSession;
import dev.attachproof.ptrace.StopMode;
import dev.attachproof.ptrace.Tracer;
import dev.attachproof.service.Engine;
import dev.attachproof.service.TargetException;
import dev.attachproof.testing.FixtureProcess;
import dev.attachproof.testing.GoFixture;
import dev.attachproof.testing.Schemas;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A target that dies while it is held: killed while stopped, or at any moment of a snapshot.
 * The fixtures run under a shell that waits for them (their real parent, not this JVM): it can
 * reap a dead fixture, and exit, only once no tracer holds the zombie.
 */
class DyingTargetTest {

    /** SIGKILL while every thread is stopped: the detach leaves no exception and no traced zombie. */
    @Test
    void aTargetKilledWhileStoppedIsLeftToItsParent() throws Exception {
        try (FixtureProcess t = FixtureProcess.start(GoFixture.build("stacks"))) {
            AttachResult r = Tracer.shared().attach(t.pid(), StopMode.ALL_THREADS, Duration.ofSeconds(2));
            PtraceSession session = assertInstanceOf(AttachResult.Attached.class, r).session();
            assertTrue(session.stoppedThreads().size() > 1, "a Go process has several threads: " + session.stoppedThreads());
            kill(t.pid());
            // SIGKILL is delivered, not done, when kill(1) returns: the leader drops its memory
            // (exit_mm) before it turns zombie, so the read is tried once it is one.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (!ProcFs.live().exited(t.pid()) && System.nanoTime() < deadline) {
                TimeUnit.MILLISECONDS.sleep(1);
            }
            assertTrue(ProcFs.live().exited(t.pid()), "SIGKILL ended the stopped target within 5 s");
            assertFalse(session.read(0x400000, ByteBuffer.allocate(8)).ok(), "a dead target's memory cannot be read");
            session.close();
            assertTrue(t.reapedByItsParent(5), "the shell reaped its dead child: no ptrace link held the zombie");
        }
    }

    /**
     * SIGKILL at moments spread over a snapshot of 20,000 goroutines (before the stop, while
     * stopped, after): each snapshot either completes or says in one line that the process
     * exited during it (410 in the HTTP API), never another failure, and the zombie is released.
     */
    @Test
    void aTargetKilledDuringASnapshotIsNamedAndReleased() throws Exception {
        java.nio.file.Path binary = GoFixture.build("stacks", GoFixture.DEBIAN_GO_1_19, false);
        // A warm snapshot's length (the first reads the binary): the kills are spread over it.
        long snapshotMicros = Long.MAX_VALUE;
        try (FixtureProcess t = FixtureProcess.start(binary, "-crowd", "20000")) {
            for (int i = 0; i < 3; i++) {
                long t0 = System.nanoTime();
                Engine.snapshot(t.pid(), false);
                snapshotMicros = Math.min(snapshotMicros, (System.nanoTime() - t0) / 1000);
            }
        }
        int exitedDuring = 0;
        // Eight moments spread over a snapshot's length; on a loaded machine a snapshot starts later
        // and lasts longer than the warm one measured, so the sweep goes round again, each time
        // over a longer span (up to three), until a kill has landed during one.
        for (int round = 0; round < 24 && (round < 8 || exitedDuring == 0); round++) {
            try (FixtureProcess t = FixtureProcess.start(binary, "-crowd", "20000")) {
                CompletableFuture<Object> taken = CompletableFuture.supplyAsync(() -> {
                    try {
                        return Engine.snapshot(t.pid(), false);
                    } catch (TargetException e) {
                        return e;
                    }
                });
                TimeUnit.MICROSECONDS.sleep(snapshotMicros * (1 + round / 8) * (2 * (round % 8) + 1) / 16);   // the moment of the kill, not a wait for readiness
                kill(t.pid());
                Object result = taken.get(30, TimeUnit.SECONDS);
                if (result instanceof TargetException e && e.reason() == TargetException.Reason.NOT_FOUND) {
                    assertTrue(e.getMessage().startsWith("no process with pid " + t.pid()), e.getMessage());   // killed before it was looked at
                } else if (result instanceof TargetException e) {
                    assertEquals(TargetException.Reason.EXITED, e.reason(), e.getMessage());
                    assertEquals("process " + t.pid() + " exited during the snapshot", e.getMessage());
                    exitedDuring++;
                } else {
                    assertInstanceOf(GoroutineSnapshot.class, result);
                }
                assertTrue(t.reapedByItsParent(5), "round " + round + ": the shell reaped its dead child");
            }
        }
        assertTrue(exitedDuring > 0, "at least one kill landed during a snapshot");
    }

    /**
     * The same through the sidecar: a target killed during /v1/goroutines is 410 Gone with a
     * one-line JSON error (200 when the snapshot finished first, 404 when the kill came before
     * the request was looked at), and the server serves on.
     */
    @Test
    void theSidecarAnswers410ForATargetKilledDuringItsSnapshot() throws Exception {
        java.nio.file.Path binary = GoFixture.build("stacks", GoFixture.DEBIAN_GO_1_19, false);
        dev.attachproof.serve.SidecarServer server = dev.attachproof.serve.SidecarServer.start(
                dev.attachproof.serve.ServeSettings.of("127.0.0.1:0", null, null, 1000, 1000, 1),
                new java.io.PrintStream(java.io.OutputStream.nullOutputStream()), false);
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        String base = "http://127.0.0.1:" + server.address().getPort();
        try {
            // A warm request's length: the first pays for reading the binary and for the JIT, and
            // kills spread over its length all came after the later, faster snapshots.
            long requestMicros = Long.MAX_VALUE;
            try (FixtureProcess t = FixtureProcess.start(binary, "-crowd", "20000")) {
                for (int i = 0; i < 3; i++) {
                    long t0 = System.nanoTime();
                    var r = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(
                            base + "/v1/goroutines?pid=" + t.pid() + "&format=json")).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
                    requestMicros = Math.min(requestMicros, (System.nanoTime() - t0) / 1000);
                    assertEquals(200, r.statusCode(), r.body());
                    assertValidAnswer(r);   // after the clock: the kills below are spread over the server's time only
                }
            }
            int gone = 0;
            // Six moments over a request's length, swept again over a longer span each time (up to
            // four) until one landed: on a loaded machine a request starts later and lasts longer.
            for (int round = 0; round < 24 && (round < 6 || gone == 0); round++) {
                try (FixtureProcess t = FixtureProcess.start(binary, "-crowd", "20000")) {
                    var asked = http.sendAsync(java.net.http.HttpRequest.newBuilder(java.net.URI.create(
                            base + "/v1/goroutines?pid=" + t.pid() + "&format=json")).build(),
                            java.net.http.HttpResponse.BodyHandlers.ofString());
                    // The moment of the kill, spread over a request's length: not a wait for readiness.
                    TimeUnit.MICROSECONDS.sleep(requestMicros * (1 + round / 6) * (2 * (round % 6) + 1) / 12);
                    kill(t.pid());
                    var r = asked.get(30, TimeUnit.SECONDS);
                    assertValidAnswer(r);
                    if (r.statusCode() == 410) {
                        gone++;
                        assertEquals("process " + t.pid() + " exited during the snapshot",
                                new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.body()).get("error").asText());
                        assertEquals(1, r.body().strip().lines().count(), r.body());
                    } else {
                        // 404: killed before the request was looked at; 200: after the snapshot.
                        assertTrue(r.statusCode() == 200 || r.statusCode() == 404, r.statusCode() + " " + r.body());
                    }
                    assertTrue(t.reapedByItsParent(5), "round " + round + ": the shell reaped its dead child");
                }
            }
            assertTrue(gone > 0, "at least one kill landed during a snapshot");
            var health = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/healthz")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertEquals(200, health.statusCode());
        } finally {
            server.stop();
        }
    }

    private static void kill(int pid) throws Exception {
        assertEquals(0, new ProcessBuilder("kill", "-KILL", Integer.toString(pid)).start().waitFor());
    }

    /** The answer's body against its schema: the goroutines document, or the error document. */
    private static void assertValidAnswer(java.net.http.HttpResponse<String> r) {
        Schemas.assertValidAnswer(r.statusCode(), r.headers().firstValue("Content-Type").orElse(""), r.body());
    }
}
