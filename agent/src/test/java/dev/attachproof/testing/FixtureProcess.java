package dev.attachproof.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * A running Go fixture. It announces itself ("READY pid=… go=…") once set up, so starting one
 * waits for that line rather than sleeping; every later stdout line is kept for assertions. Its
 * stdin is a pipe: when the test JVM dies, the fixture sees EOF and exits.
 */
public final class FixtureProcess implements AutoCloseable {
    private static final Pattern READY = Pattern.compile("READY pid=(\\d+) go=(\\S+) goroutines=(\\d+)");

    private final Process process;
    private final int pid;
    private final String goVersion;
    private final int readyGoroutines;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

    private FixtureProcess(Process process, int pid, String goVersion, int readyGoroutines) {
        this.process = process;
        this.pid = pid;
        this.goVersion = goVersion;
        this.readyGoroutines = readyGoroutines;
    }

    /**
     * Starts {@code command} (a fixture binary with arguments, maybe behind setpriv) and waits
     * for READY. It runs as a grandchild, under {@code sh}: were it this JVM's child, the JDK's
     * process reaper would consume its ptrace stops (see Tracer).
     */
    public static FixtureProcess start(List<String> command) {
        return start(command, false);
    }

    /**
     * Starts the fixture as pid 1 of a PID namespace of its own, with that namespace's /proc
     * mounted in a mount namespace of its own, as a container runs it (unshare --pid --fork
     * --mount-proc; --kill-child ends it with unshare). {@link #pid()} is its pid in ours; in its
     * own it is 1 (its READY line says so), and nsenter --target PID --pid --mount runs a command
     * beside it.
     */
    public static FixtureProcess startInPidNamespace(Path binary, String... args) {
        List<String> cmd = new ArrayList<>(List.of("unshare", "--pid", "--fork", "--mount-proc", "--kill-child", binary.toString()));
        cmd.addAll(List.of(args));
        return start(cmd, true);
    }

    private static FixtureProcess start(List<String> command, boolean ownPidNamespace) {
        try {
            List<String> viaShell = new ArrayList<>(List.of("/bin/sh", "-c", "exec 3<&0; \"$@\" <&3 3<&- & wait", "sh"));
            viaShell.addAll(command);
            Process p = new ProcessBuilder(viaShell).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            BlockingQueue<String> first = new LinkedBlockingQueue<>();
            FixtureProcess[] self = new FixtureProcess[1];
            Thread reader = Thread.ofPlatform().daemon(true).start(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        if (self[0] == null) {
                            first.add(line);
                        } else {
                            self[0].lines.add(line);
                        }
                    }
                } catch (IOException ignored) {
                    // the fixture ended
                }
                first.add("<eof>");
            });
            String line = first.poll(60, TimeUnit.SECONDS);
            Matcher m = line == null ? null : READY.matcher(line);
            if (m == null || !m.find()) {
                p.destroyForcibly();
                throw new IllegalStateException("fixture " + command + " did not report READY (got: " + line + ")");
            }
            int ready = Integer.parseInt(m.group(1));
            int pid = ownPidNamespace ? pidHere(p, ready) : ready;
            FixtureProcess fp = new FixtureProcess(p, pid, m.group(2), Integer.parseInt(m.group(3)));
            self[0] = fp;
            reader.setName("fixture-" + fp.pid);
            return fp;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The descendant of {@code shell} whose NSpid line ends in {@code nsPid} in a nested namespace. */
    private static int pidHere(Process shell, int nsPid) {
        return shell.descendants().mapToInt(h -> (int) h.pid()).filter(pid -> {
            try {
                String[] ns = field(Files.readString(Path.of("/proc/" + pid + "/status")), "NSpid").split("\\s+");
                return ns.length > 1 && ns[ns.length - 1].equals(Integer.toString(nsPid));
            } catch (IOException e) {
                return false;
            }
        }).findFirst().orElseThrow(() -> {
            shell.destroyForcibly();
            return new IllegalStateException("no descendant of the fixture's shell is pid " + nsPid + " of a nested PID namespace");
        });
    }

    public static FixtureProcess start(Path binary, String... args) {
        List<String> cmd = new ArrayList<>(List.of(binary.toString()));
        cmd.addAll(List.of(args));
        return start(cmd);
    }

    public int pid() {
        return pid;
    }

    public String goVersion() {
        return goVersion;
    }

    /** runtime.NumGoroutine() when the fixture printed READY (the goroutines Go's own dump shows). */
    public int readyGoroutines() {
        return readyGoroutines;
    }

    /** The next line the fixture prints after READY, waiting up to {@code seconds}. */
    public String nextLine(int seconds) throws InterruptedException {
        return lines.poll(seconds, TimeUnit.SECONDS);
    }

    /**
     * Whether the fixture, once it has exited, was reaped by its parent (the shell that started
     * it, which then exits) within {@code seconds}: a tracer that keeps a dead tracee holds its
     * zombie from its parent.
     */
    public boolean reapedByItsParent(int seconds) throws InterruptedException {
        return process.waitFor(seconds, TimeUnit.SECONDS);
    }

    /** The attach left nothing behind: the target runs (not t/T) and has no tracer. */
    public void assertRunningUntraced() {
        String status = status();
        assertEquals("0", field(status, "TracerPid"), "TracerPid after the test:\n" + status);
        String state = field(status, "State");
        assertNotEquals('t', state.charAt(0), "target left in a tracing stop:\n" + status);
        assertNotEquals('T', state.charAt(0), "target left stopped:\n" + status);
    }

    public String status() {
        try {
            return Files.readString(Path.of("/proc/" + pid + "/status"));
        } catch (IOException e) {
            throw new IllegalStateException("fixture " + pid + " is gone", e);
        }
    }

    public static String field(String status, String name) {
        for (String line : status.split("\n")) {
            if (line.startsWith(name + ":")) {
                return line.substring(name.length() + 1).strip();
            }
        }
        return "";
    }

    @Override
    public void close() {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
        try {
            process.getOutputStream().close();   // stdin EOF: the fixture's own way out
        } catch (IOException ignored) {
            // already closed
        }
        try {
            // The shell reaps the fixture and then exits by itself; kill it only if it does not.
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
