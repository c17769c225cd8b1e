package dev.attachproof.linux;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The FFM binding and the JNA binding, driven on the same real calls, must agree: values, and the
 * errno of every failure. JNA here is the oracle: an implementation with no code in common.
 */
class BindingsAgreeTest {
    /** A pid above pid_max's ceiling (4194304 on 64-bit): no process has it. */
    private static final int NO_SUCH_PID = 4_194_305;
    private final Linux ffm = new FfmLinux();
    private final Linux jna = new JnaLinux();

    @Test
    void ptraceOnAPidThatDoesNotExistIsEsrchInBoth() {
        for (Linux l : new Linux[] {ffm, jna}) {
            assertEquals(Errno.ESRCH, l.ptraceSeize(NO_SUCH_PID, 0).errno(), l.binding());
            assertEquals(Errno.ESRCH, l.ptraceGetSiginfo(NO_SUCH_PID).errno(), l.binding());
            assertEquals(Errno.ESRCH, l.ptracePeekData(NO_SUCH_PID, 0).errno(), l.binding());
            assertEquals(Errno.ESRCH, l.kill(NO_SUCH_PID, 0).errno(), l.binding());
        }
    }

    @Test
    void ptraceGetSiginfoOnOurselvesIsEsrchInBoth() {
        // We do not trace ourselves: the seccomp probe's known answer.
        assertEquals(Errno.ESRCH, ffm.ptraceGetSiginfo(ffm.getpid()).errno());
        assertEquals(Errno.ESRCH, jna.ptraceGetSiginfo(jna.getpid()).errno());
    }

    @Test
    void processVmReadvOfOurOwnMemoryReadsTheSameBytes() {
        ByteBuffer src = ByteBuffer.allocateDirect(64);
        for (int i = 0; i < 64; i++) {
            src.put(i, (byte) (i * 7 + 3));
        }
        long address = NativeBuffers.address(src);
        ByteBuffer viaFfm = ByteBuffer.allocate(64);
        ByteBuffer viaJna = ByteBuffer.allocate(64);
        assertEquals(64L, ffm.processVmReadv(ffm.getpid(), address, viaFfm).orElseThrow());
        assertEquals(64L, jna.processVmReadv(jna.getpid(), address, viaJna).orElseThrow());
        assertEquals(src.rewind(), viaFfm);
        assertEquals(viaFfm, viaJna);
        ByteBuffer direct = ByteBuffer.allocateDirect(64);
        assertEquals(64L, ffm.processVmReadv(ffm.getpid(), address, direct).orElseThrow());
        assertEquals(viaFfm, direct);
    }

    @Test
    void scatteredProcessVmReadvReadsEachRangeInOrderAndStopsAtAHole() {
        ByteBuffer src = ByteBuffer.allocateDirect(256);
        for (int i = 0; i < 256; i++) {
            src.put(i, (byte) (i * 13 + 1));
        }
        long a = NativeBuffers.address(src);
        long[] addrs = {a + 200, a + 8, a + 100};
        int[] lens = {16, 8, 40};
        ByteBuffer viaFfm = ByteBuffer.allocate(64);
        ByteBuffer viaJna = ByteBuffer.allocate(64);
        assertEquals(64L, ffm.processVmReadv(ffm.getpid(), addrs, lens, viaFfm).orElseThrow());
        assertEquals(64L, jna.processVmReadv(jna.getpid(), addrs, lens, viaJna).orElseThrow());
        ByteBuffer expected = ByteBuffer.allocate(64);
        expected.put(src.slice(200, 16)).put(src.slice(8, 8)).put(src.slice(100, 40)).flip();
        assertEquals(expected, viaFfm);
        assertEquals(viaFfm, viaJna);
        // An unmapped range stops the read there: the count says how far it got.
        long[] withHole = {a, 8, a + 32};
        int[] holeLens = {16, 8, 8};
        assertEquals(16L, ffm.processVmReadv(ffm.getpid(), withHole, holeLens, ByteBuffer.allocate(32)).orElseThrow());
        assertEquals(16L, jna.processVmReadv(jna.getpid(), withHole, holeLens, ByteBuffer.allocate(32)).orElseThrow());
    }

    @Test
    void processVmReadvOfAnUnmappedAddressIsEfaultInBoth() {
        assertEquals(Errno.EFAULT, ffm.processVmReadv(ffm.getpid(), 8, ByteBuffer.allocate(8)).errno());
        assertEquals(Errno.EFAULT, jna.processVmReadv(jna.getpid(), 8, ByteBuffer.allocate(8)).errno());
    }

    @Test
    void prctlReadsAgree() {
        for (int option : new int[] {LinuxConstants.PR_GET_DUMPABLE, LinuxConstants.PR_GET_NO_NEW_PRIVS,
                LinuxConstants.PR_GET_SECCOMP}) {
            assertEquals(jna.prctl(option, 0, 0, 0, 0).orElseThrow(), ffm.prctl(option, 0, 0, 0, 0).orElseThrow(), "prctl " + option);
        }
        assertEquals(jna.prctl(LinuxConstants.PR_CAPBSET_READ, LinuxConstants.CAP_SYS_PTRACE, 0, 0, 0).orElseThrow(),
                ffm.prctl(LinuxConstants.PR_CAPBSET_READ, LinuxConstants.CAP_SYS_PTRACE, 0, 0, 0).orElseThrow());
        assertEquals(Errno.EINVAL, ffm.prctl(-1, 0, 0, 0, 0).errno());
        assertEquals(Errno.EINVAL, jna.prctl(-1, 0, 0, 0, 0).errno());
    }

    @Test
    void credentialsAndCapabilitiesAgree() {
        assertEquals(jna.getresuid().orElseThrow(), ffm.getresuid().orElseThrow());
        assertEquals(jna.getresgid().orElseThrow(), ffm.getresgid().orElseThrow());
        assertEquals(jna.capget(0).orElseThrow(), ffm.capget(0).orElseThrow());
        assertEquals(Errno.ESRCH, ffm.capget(NO_SUCH_PID).errno());
        assertEquals(Errno.ESRCH, jna.capget(NO_SUCH_PID).errno());
        assertEquals(jna.getpid(), ffm.getpid());
    }

    @Test
    void waitpidWithNoSuchChildIsEchildInBoth() {
        assertEquals(Errno.ECHILD, ffm.waitpid(NO_SUCH_PID, LinuxConstants.WNOHANG).errno());
        assertEquals(Errno.ECHILD, jna.waitpid(NO_SUCH_PID, LinuxConstants.WNOHANG).errno());
    }

    @Test
    void errnoIsPerThreadNotShared() throws Exception {
        // One thread fails with ESRCH while another fails with EINVAL, many times over: each
        // must see its own errno, as the capture is per call.
        AtomicReference<String> wrong = new AtomicReference<>();
        Thread a = Thread.ofPlatform().start(() -> {
            for (int i = 0; i < 2000; i++) {
                Errno e = ffm.kill(NO_SUCH_PID, 0).errno();
                if (e != Errno.ESRCH) {
                    wrong.set("thread a saw " + e);
                }
            }
        });
        Thread b = Thread.ofPlatform().start(() -> {
            for (int i = 0; i < 2000; i++) {
                Errno e = ffm.prctl(-1, 0, 0, 0, 0).errno();
                if (e != Errno.EINVAL) {
                    wrong.set("thread b saw " + e);
                }
            }
        });
        a.join();
        b.join();
        assertEquals(null, wrong.get());
    }

    @Test
    void failuresNameTheirCall() {
        CallResult<Long> r = ffm.ptraceSeize(NO_SUCH_PID, 0);
        CallResult.Failed<Long> f = (CallResult.Failed<Long>) r;
        assertEquals("ptrace(PTRACE_SEIZE): ESRCH (No such process)", f.describe());
        assertFalse(r.ok());
        assertTrue(ffm.kill(ffm.getpid(), 0).ok());
    }
}
