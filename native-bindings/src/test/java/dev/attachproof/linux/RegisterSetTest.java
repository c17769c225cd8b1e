package dev.attachproof.linux;

import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * PTRACE_GETREGSET of NT_PRSTATUS on a real stopped process, through both bindings: the same
 * words from FFM and JNA, as many as this arch's register set has. In the words
 * {@link Platform#registers()} names, the program counter lies in one of the tracee's executable
 * mappings and the stack pointer in its [stack] mapping, and both are the ones the kernel itself
 * shows in {@code /proc/<pid>/syscall} (proc(5): its last two fields), which reads them in C.
 */
class RegisterSetTest {
    private final Linux ffm = new FfmLinux();
    private final Linux jna = new JnaLinux();

    /** What the tracer thread read from the stopped tracee. */
    private record Read(CallResult<WaitStatus> stop, CallResult<long[]> viaFfm, CallResult<long[]> viaJna,
            List<String> maps, String syscall) {}

    @Test
    void bothBindingsReadTheStoppedTraceesRegisters() throws Exception {
        // A grandchild, under sh: were it this JVM's child, the JDK's process reaper would wait
        // for it and take its ptrace stops from us.
        Process shell = new ProcessBuilder("/bin/sh", "-c", "sleep 600 & echo $!; wait").start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(shell.getInputStream(), StandardCharsets.UTF_8))) {
            int pid = Integer.parseInt(out.readLine().strip());
            Read r = traced(pid).get(30, TimeUnit.SECONDS);
            assertTrue(r.stop().orElseThrow().stopped(), "the tracee stopped: " + r.stop());
            long[] regs = r.viaFfm().orElseThrow();
            assertArrayEquals(r.viaJna().orElseThrow(), regs, "FFM and JNA read the same registers");
            RegisterSet set = Platform.current().registers();
            assertEquals(set.size() / Long.BYTES, regs.length, "the kernel filled the whole " + set.size() + "-byte set");
            long pc = regs[set.programCounterWord()];
            long sp = regs[set.stackPointerWord()];
            String[] fields = r.syscall().split(" ");
            assertEquals(fields[fields.length - 2] + " " + fields[fields.length - 1],
                    "0x" + Long.toHexString(sp) + " 0x" + Long.toHexString(pc), "sp and pc as /proc/" + pid + "/syscall shows them");
            assertTrue(r.maps().stream().anyMatch(m -> contains(m, pc) && permissions(m).contains("x")),
                    Long.toHexString(pc) + " is in an executable mapping of " + r.maps());
            assertTrue(r.maps().stream().anyMatch(m -> contains(m, sp) && m.endsWith("[stack]")),
                    Long.toHexString(sp) + " is in the [stack] mapping of " + r.maps());
        } finally {
            shell.descendants().forEach(ProcessHandle::destroyForcibly);
            shell.destroyForcibly();
        }
    }

    /**
     * Seizes, stops, reads and lets go of {@code pid}, all on one new platform thread: the
     * kernel takes ptrace requests for a tracee only from the thread that seized it.
     */
    private CompletableFuture<Read> traced(int pid) {
        CompletableFuture<Read> read = new CompletableFuture<>();
        Thread.ofPlatform().name("register-set-tracer").start(() -> {
            try {
                ffm.ptraceSeize(pid, 0).orElseThrow();
                ffm.ptraceInterrupt(pid).orElseThrow();
                CallResult<WaitStatus> stop = ffm.waitpid(pid, LinuxConstants.WALL);
                List<String> maps = Files.readAllLines(Path.of("/proc/" + pid + "/maps"));
                String syscall = Files.readString(Path.of("/proc/" + pid + "/syscall")).strip();
                read.complete(new Read(stop, ffm.ptraceGetRegset(pid), jna.ptraceGetRegset(pid), maps, syscall));
                ffm.ptraceDetach(pid, 0).orElseThrow();
            } catch (IOException | RuntimeException e) {
                read.completeExceptionally(e);
            }
        });
        return read;
    }

    private static boolean contains(String mapping, long address) {
        String[] range = mapping.substring(0, mapping.indexOf(' ')).split("-");
        return Long.compareUnsigned(address, Long.parseUnsignedLong(range[0], 16)) >= 0
                && Long.compareUnsigned(address, Long.parseUnsignedLong(range[1], 16)) < 0;
    }

    private static String permissions(String mapping) {
        return mapping.split(" +")[1];
    }
}
