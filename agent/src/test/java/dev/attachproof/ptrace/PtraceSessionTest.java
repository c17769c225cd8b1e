package dev.attachproof.ptrace;

import dev.attachproof.linux.Linux;
import dev.attachproof.linux.LinuxConstants;
import dev.attachproof.procfs.ProcFs;
import dev.attachproof.procfs.ProcStatus;
import dev.attachproof.testing.FixtureProcess;
import dev.attachproof.testing.GoFixture;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The session on real Go processes: stops, reads, and detaches without losing anything. */
class PtraceSessionTest {
    private static final ProcFs PROC = ProcFs.live();
    private static Tracer tracer;
    private static Path target;

    @BeforeAll
    static void setUp() {
        tracer = new Tracer(Linux.system(), PROC);
        target = GoFixture.build("target");
    }

    @Test
    void aSignalSentWhileStoppedArrivesAfterDetach() throws Exception {
        try (FixtureProcess t = FixtureProcess.start(target)) {
            AttachResult.Attached a = assertInstanceOf(AttachResult.Attached.class,
                    tracer.attach(t.pid(), StopMode.LEADER, Duration.ofSeconds(2)));
            try (PtraceSession _ = a.session()) {
                assertEquals('t', state(t.pid()), "stopped while the session is open");
                tracer.linux().kill(t.pid(), LinuxConstants.SIGUSR1).orElseThrow();
            }
            assertEquals("SIGNAL usr1", t.nextLine(10), "the fixture must receive SIGUSR1 after detach");
            t.assertRunningUntraced();
        }
    }

    @Test
    void allThreadsModeStopsEveryThreadAndReleasesThemAll() throws Exception {
        try (FixtureProcess t = FixtureProcess.start(target, "-goroutines", "64")) {
            List<Integer> threads = PROC.tasks(t.pid());
            assertTrue(threads.size() > 1, "a Go process has several threads: " + threads);
            AttachResult.Attached a = assertInstanceOf(AttachResult.Attached.class,
                    tracer.attach(t.pid(), StopMode.ALL_THREADS, Duration.ofSeconds(2)));
            try (PtraceSession s = a.session()) {
                assertTrue(s.stoppedThreads().containsAll(threads), s.stoppedThreads() + " vs " + threads);
                for (int tid : threads) {
                    assertEquals('t', state(tid), "thread " + tid + " stopped");
                }
            }
            for (int tid : PROC.tasks(t.pid())) {
                ProcStatus st = PROC.status(tid).orElseThrow();
                assertEquals(0, st.tracerPid(), "thread " + tid + " untraced");
                assertTrue(st.state() != 't' && st.state() != 'T', "thread " + tid + " runs: " + st.stateText());
            }
            t.assertRunningUntraced();
        }
    }

    @Test
    void readsTheSameBytesByEveryMethod() throws Exception {
        try (FixtureProcess t = FixtureProcess.start(target)) {
            long text = PROC.maps(t.pid()).getFirst().start();
            AttachResult.Attached a = assertInstanceOf(AttachResult.Attached.class,
                    tracer.attach(t.pid(), StopMode.LEADER, Duration.ofSeconds(2)));
            try (PtraceSession s = a.session()) {
                ByteBuffer viaVm = ByteBuffer.allocate(61);
                assertEquals(61L, s.read(text + 3, viaVm).orElseThrow());
                assertEquals("process_vm_readv", s.lastReadMethod());
                ByteBuffer viaPeek = ByteBuffer.allocate(61);
                tracer.call(() -> {
                    // PEEKDATA word by word, unaligned start and end, as the last fallback reads.
                    for (int i = 0; i < 61; i++) {
                        long w = tracer.linux().ptracePeekData(t.pid(), (text + 3 + i) & ~7L).orElseThrow();
                        viaPeek.put(i, (byte) (w >>> (8 * ((text + 3 + i) & 7))));
                    }
                    return null;
                });
                assertEquals(viaVm, viaPeek);
            }
            t.assertRunningUntraced();
        }
    }

    @Test
    void aPidThatDoesNotExistIsNoSuchProcess() {
        AttachResult r = tracer.attach(4_194_304, StopMode.LEADER, Duration.ofSeconds(1));
        assertInstanceOf(AttachResult.NoSuchProcess.class, r);
    }

    private static char state(int tid) {
        return PROC.status(tid).orElseThrow().state();
    }
}
