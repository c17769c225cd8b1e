package dev.attachproof.delve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.attachproof.linux.Linux;
import dev.attachproof.linux.LinuxConstants;
import dev.attachproof.procfs.ProcFs;
import dev.attachproof.procfs.ProcStatus;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The attach VS Code's Go extension makes, made for real: {@code dlv dap} started on a free port,
 * then initialize, attach (mode local), the initialized event, configurationDone, a pause (after
 * configurationDone Delve lets the target run, and lists goroutines only while it is stopped),
 * threads, a stackTrace of one goroutine and disconnect without terminating the debuggee. Every
 * step has a timeout; whatever happened, dlv is ended and the target is checked to run on with no
 * tracer ({@code release}). A tracer that dies detaches its tracees, but one that had stopped the
 * group leaves it stopped (kernel/ptrace.c, __ptrace_unlink): then the target gets a SIGCONT.
 */
public final class DapAttach {
    private static final Pattern LISTENING = Pattern.compile("DAP server listening at: (\\S+):(\\d+)");
    private static final Duration START = Duration.ofSeconds(10);
    private static final Duration QUICK = Duration.ofSeconds(5);
    /** Attach reads the target's whole DWARF: seconds for a large binary. */
    private static final Duration ATTACH = Duration.ofSeconds(30);
    private static final Duration STOPPED = Duration.ofSeconds(10);
    private static final Duration RELEASE = Duration.ofSeconds(5);
    private static final int STACK_LEVELS = 20;

    /** One DAP request (or event awaited, or our own step) with its outcome, Delve's words when it failed, and its time. */
    public record Step(String request, boolean ok, String message, long millis) {}

    /** A goroutine as Delve's threads response names it ("[Go 1] main.main"). */
    public record GoThread(int id, String name) {}

    /** Every step taken, the goroutines listed, and whether the whole attach worked. */
    public record Outcome(List<Step> steps, List<GoThread> threads) {
        public boolean ok() {
            return !threads.isEmpty() && steps.stream().allMatch(Step::ok);
        }

        public Optional<Step> failed() {
            return steps.stream().filter(s -> !s.ok()).findFirst();
        }
    }

    private final Path dlv;
    private final int pid;
    private final ProcFs procfs;
    private final Linux linux;
    private final List<Step> steps = new ArrayList<>();
    private final List<GoThread> threads = new ArrayList<>();
    private final BlockingQueue<String> dlvOutput = new LinkedBlockingQueue<>();

    private DapAttach(Path dlv, int pid, ProcFs procfs, Linux linux) {
        this.dlv = dlv;
        this.pid = pid;
        this.procfs = procfs;
        this.linux = linux;
    }

    /** Attaches {@code dlv} to {@code pid} over DAP and lets go again. */
    public static Outcome run(Path dlv, int pid, ProcFs procfs, Linux linux) {
        return new DapAttach(dlv, pid, procfs, linux).run();
    }

    private Outcome run() {
        // A tracer there before us (another debugger) is not ours to wait for at release.
        int tracerBefore = procfs.status(pid).map(ProcStatus::tracerPid).orElse(0);
        Process process = null;
        try {
            long t0 = System.nanoTime();
            try {
                process = new ProcessBuilder(dlv.toString(), "dap", "--listen=127.0.0.1:0").redirectErrorStream(true).start();
                process.getOutputStream().close();
            } catch (IOException e) {
                steps.add(new Step("start", false, "cannot run " + dlv + ": " + e.getMessage(), millis(t0)));
                return new Outcome(List.copyOf(steps), List.of());
            }
            collectOutput(process);
            Optional<InetSocketAddress> address = listeningAddress(process);
            if (address.isEmpty()) {
                steps.add(new Step("start", false, "`" + dlv + " dap` did not say where it listens within "
                        + START.toSeconds() + " s" + lastWords(), millis(t0)));
            } else {
                steps.add(new Step("start", true, "dlv dap listening at " + address.get().getHostString() + ":"
                        + address.get().getPort(), millis(t0)));
                talk(address.get());
            }
        } finally {
            release(process, tracerBefore);
        }
        return new Outcome(List.copyOf(steps), List.copyOf(threads));
    }

    /** The session, step by step; after a failed step only disconnect is still sent. */
    private void talk(InetSocketAddress address) {
        long t0 = System.nanoTime();
        try (DapClient dap = DapClient.connect(address, QUICK)) {
            boolean ok = request(dap, "initialize", initializeArguments(), QUICK) != null;
            ok = ok && request(dap, "attach", DapClient.arguments().put("request", "attach").put("mode", "local")
                    .put("processId", pid), ATTACH) != null;
            ok = ok && event(dap, "initialized", QUICK);
            ok = ok && request(dap, "configurationDone", null, QUICK) != null;
            ok = ok && request(dap, "pause", DapClient.arguments().put("threadId", 1), QUICK) != null
                    && event(dap, "stopped", STOPPED);
            DapClient.Response listed = ok ? request(dap, "threads", null, QUICK) : null;
            if (listed != null) {
                for (JsonNode t : listed.body().path("threads")) {
                    threads.add(new GoThread(t.path("id").asInt(), t.path("name").asText()));
                }
                last(listed, threads.size() + " goroutines");
                if (!threads.isEmpty()) {
                    DapClient.Response stack = request(dap, "stackTrace", DapClient.arguments()
                            .put("threadId", threads.getFirst().id()).put("levels", STACK_LEVELS), QUICK);
                    if (stack != null) {
                        JsonNode frames = stack.body().path("stackFrames");
                        last(stack, frames.size() + " frames of goroutine " + threads.getFirst().id()
                                + (frames.isEmpty() ? "" : ", innermost " + frames.get(0).path("name").asText()));
                    }
                }
            }
            request(dap, "disconnect", DapClient.arguments().put("terminateDebuggee", false), QUICK);
        } catch (IOException e) {
            steps.add(new Step("connect", false, "cannot connect to dlv dap at " + address + ": " + e.getMessage(), millis(t0)));
        }
    }

    private static ObjectNode initializeArguments() {
        // What VS Code's Go extension sends (its debugAdapter client): 1-based lines and columns, plain paths.
        return DapClient.arguments().put("clientID", "vscode").put("clientName", "Visual Studio Code")
                .put("adapterID", "go").put("locale", "en").put("linesStartAt1", true).put("columnsStartAt1", true)
                .put("pathFormat", "path").put("supportsVariableType", true).put("supportsVariablePaging", true)
                .put("supportsRunInTerminalRequest", false).put("supportsMemoryReferences", true)
                .put("supportsProgressReporting", true).put("supportsInvalidatedEvent", true);
    }

    /** Sends one request and records its step; the response when it succeeded, null when not. */
    private DapClient.Response request(DapClient dap, String command, ObjectNode arguments, Duration timeout) {
        long t0 = System.nanoTime();
        try {
            DapClient.Response r = dap.request(command, arguments, timeout);
            steps.add(new Step(command, r.success(), r.message(), millis(t0)));
            return r.success() ? r : null;
        } catch (DapClient.DapException e) {
            steps.add(new Step(command, false, e.getMessage() + lastWords(), millis(t0)));
            return null;
        }
    }

    private boolean event(DapClient dap, String name, Duration timeout) {
        long t0 = System.nanoTime();
        try {
            dap.awaitEvent(name, timeout);
            steps.add(new Step(name, true, null, millis(t0)));
            return true;
        } catch (DapClient.DapException e) {
            steps.add(new Step(name, false, e.getMessage() + lastWords(), millis(t0)));
            return false;
        }
    }

    /** Gives the last step (the response {@code r}'s) a message saying what it returned. */
    private void last(DapClient.Response r, String message) {
        Step s = steps.removeLast();
        steps.add(new Step(s.request(), s.ok(), message, s.millis()));
    }

    /**
     * dlv ended (it exits after disconnect; killed when it lingers), then the target checked to
     * run on untraced within {@link #RELEASE}: a step of its own, failed when it does not.
     */
    private void release(Process process, int tracerBefore) {
        long t0 = System.nanoTime();
        String killed = "";
        if (process != null) {
            try {
                if (!process.waitFor(QUICK.toMillis(), TimeUnit.MILLISECONDS)) {
                    process.destroyForcibly().waitFor(QUICK.toMillis(), TimeUnit.MILLISECONDS);
                    killed = "dlv lingered and was killed; ";
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        long deadline = System.nanoTime() + RELEASE.toNanos();
        boolean continued = false;
        while (true) {
            Optional<ProcStatus> s = procfs.status(pid);
            if (s.isEmpty()) {
                steps.add(new Step("release", false, killed + "the target exited", millis(t0)));
                return;
            }
            char state = s.get().state();
            int tracer = s.get().tracerPid();
            if (tracer == 0 && state != 't' && state != 'T') {
                steps.add(new Step("release", true, killed + (continued ? "the target was left stopped and got a SIGCONT; " : "")
                        + "the target runs on untraced (TracerPid 0, state " + state + ")", millis(t0)));
                return;
            }
            if (tracer != 0 && tracer == tracerBefore) {
                steps.add(new Step("release", true, killed + "dlv is gone; the target is traced by pid " + tracer
                        + " as before dlv started (state " + state + ")", millis(t0)));
                return;
            }
            if (tracer == 0 && state == 'T' && !continued) {
                linux.kill(pid, LinuxConstants.SIGCONT);
                continued = true;
            }
            if (System.nanoTime() > deadline) {
                steps.add(new Step("release", false, killed + "the target is still " + (tracer != 0 ? "traced by pid " + tracer : "stopped")
                        + " (state " + state + ") after " + RELEASE.toSeconds() + " s", millis(t0)));
                return;
            }
            try {
                Thread.sleep(20);   // polling /proc: the kernel announces no detach to a third process
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private void collectOutput(Process process) {
        Thread.ofPlatform().daemon(true).name("dlv-output").start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    dlvOutput.add(line);
                }
            } catch (IOException ignored) {
                // dlv ended
            }
        });
    }

    /** The address in Delve's "DAP server listening at: 127.0.0.1:PORT", waiting up to {@link #START}. */
    private Optional<InetSocketAddress> listeningAddress(Process process) {
        long deadline = System.nanoTime() + START.toNanos();
        List<String> seen = new ArrayList<>();
        try {
            while (System.nanoTime() < deadline) {
                String line = dlvOutput.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (line == null) {
                    break;
                }
                Matcher m = LISTENING.matcher(line);
                if (m.find()) {
                    dlvOutput.addAll(seen);
                    return Optional.of(new InetSocketAddress(m.group(1), Integer.parseInt(m.group(2))));
                }
                seen.add(line);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        dlvOutput.addAll(seen);
        return Optional.empty();
    }

    /** What dlv printed so far (its log, or why it exited), for a step that failed without Delve's words. */
    private String lastWords() {
        List<String> lines = new ArrayList<>();
        dlvOutput.drainTo(lines);
        lines.removeIf(String::isBlank);
        return lines.isEmpty() ? "" : "; dlv printed: " + String.join(" | ", lines.subList(Math.max(0, lines.size() - 3), lines.size()));
    }

    private static long millis(long t0) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    }
}
