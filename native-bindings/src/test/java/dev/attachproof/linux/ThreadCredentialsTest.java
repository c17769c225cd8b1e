package dev.attachproof.linux;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The per-thread credential calls, for real: a fresh platform thread drops to nobody with the raw
 * setresgid, setgroups and setresuid syscalls while the test's own thread stays root, and the
 * kernel's {@code /proc/self/task/<tid>/status} of each thread says so. Only that fresh thread's
 * credentials ever change, and it ends before the test does.
 */
class ThreadCredentialsTest {
    /** nobody/nogroup on Debian; an id the kernel accepts from root in the initial user namespace. */
    private static final int NOBODY = 65534;
    private static final List<String> NOBODY_IDS = List.of("65534", "65534", "65534", "65534");
    private static final List<String> ROOT_IDS = List.of("0", "0", "0", "0");
    private final Linux ffm = new FfmLinux();
    private final Linux jna = new JnaLinux();

    @BeforeEach
    void needsRootWithSetuidAndSetgid() {
        // setresuid(2)/setresgid(2)/setgroups(2) to arbitrary ids need CAP_SETUID/CAP_SETGID.
        assumeTrue(ffm.getresuid().orElseThrow().equals(new Ids(0, 0, 0)), "not running as root");
        CapabilitySets caps = ffm.capget(0).orElseThrow();
        assumeTrue(caps.effective(LinuxConstants.CAP_SETUID) && caps.effective(LinuxConstants.CAP_SETGID),
                "no CAP_SETUID/CAP_SETGID in the effective set");
    }

    @Test
    void ffmChangesOnlyTheCallingThreadsCredentials() throws Exception {
        dropOneThreadToNobody(ffm);
    }

    @Test
    void jnaChangesOnlyTheCallingThreadsCredentials() throws Exception {
        dropOneThreadToNobody(jna);
    }

    /** What the probe thread saw; asserted on the test's thread, which is never the probe. */
    private record Probe(int tid, CallResult<Long> setresgid, CallResult<Long> setgroups, CallResult<Long> setresuid,
            CallResult<Ids> resuid, List<CallResult<Long>> backToRoot) {}

    private void dropOneThreadToNobody(Linux linux) throws Exception {
        CompletableFuture<Probe> dropped = new CompletableFuture<>();
        CountDownLatch read = new CountDownLatch(1);
        Thread probe = Thread.ofPlatform().name("credentials-probe-" + linux.binding()).start(() -> {
            try {
                // gid and groups first: once the uid is not 0, CAP_SETGID is gone.
                CallResult<Long> gid = linux.setresgidThisThread(NOBODY, NOBODY, NOBODY);
                CallResult<Long> groups = linux.setgroupsThisThread(new int[0]);
                CallResult<Long> uid = linux.setresuidThisThread(NOBODY, NOBODY, NOBODY);
                // Leaving uid 0 cleared the permitted and effective capabilities
                // (capabilities(7), "Effect of user ID changes on capabilities"): no way back.
                List<CallResult<Long>> back = List.of(
                        ffm.setresuidThisThread(0, 0, 0), jna.setresuidThisThread(0, 0, 0),
                        ffm.setresgidThisThread(0, 0, 0), jna.setresgidThisThread(0, 0, 0),
                        ffm.setgroupsThisThread(new int[] {0}), jna.setgroupsThisThread(new int[] {0}));
                dropped.complete(new Probe(linux.gettid(), gid, groups, uid, linux.getresuid(), back));
                // Stay alive, and so in /proc/self/task, until the test's thread has read the status.
                read.await();
            } catch (Throwable t) {
                dropped.completeExceptionally(t);
            }
        });
        try {
            Probe p = dropped.get(30, TimeUnit.SECONDS);
            assertEquals(new CallResult.Ok<>("setresgid", 0L), p.setresgid());
            assertEquals(new CallResult.Ok<>("setgroups", 0L), p.setgroups());
            assertEquals(new CallResult.Ok<>("setresuid", 0L), p.setresuid());
            assertEquals(new Ids(NOBODY, NOBODY, NOBODY), p.resuid().orElseThrow());
            for (CallResult<Long> r : p.backToRoot()) {
                assertEquals(Errno.EPERM, r.errno(), r.call());
            }

            String probeStatus = status(p.tid());
            assertEquals(NOBODY_IDS, ids(probeStatus, "Uid"));
            assertEquals(NOBODY_IDS, ids(probeStatus, "Gid"));
            assertEquals(List.of(), ids(probeStatus, "Groups"));

            // The test's own thread, and the process as a whole, kept root.
            String ownStatus = status(linux.gettid());
            assertEquals(ROOT_IDS, ids(ownStatus, "Uid"));
            assertEquals(ROOT_IDS, ids(ownStatus, "Gid"));
            assertEquals(new Ids(0, 0, 0), linux.getresuid().orElseThrow());
            assertEquals(new Ids(0, 0, 0), linux.getresgid().orElseThrow());
        } finally {
            read.countDown();
            probe.join();
        }
        assertFalse(probe.isAlive());
    }

    private static String status(int tid) throws IOException {
        return Files.readString(Path.of("/proc/self/task/" + tid + "/status"));
    }

    /** The whitespace-separated values of {@code name:} in a status file (Uid: real, effective, saved, fs). */
    private static List<String> ids(String status, String name) {
        return status.lines()
                .filter(l -> l.startsWith(name + ":"))
                .map(l -> l.substring(name.length() + 1).strip())
                .map(v -> v.isEmpty() ? List.<String>of() : List.of(v.split("\\s+")))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no " + name + " line in " + status));
    }
}
