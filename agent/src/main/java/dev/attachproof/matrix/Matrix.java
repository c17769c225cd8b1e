package dev.attachproof.matrix;

import dev.attachproof.procfs.ProcFs;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs every setting's probe against one target, one after the other (a tracee has one tracer at
 * a time), each in a process of its own: the agent's hidden {@code probe} command, started with
 * this JVM's java and class path. The user-namespace probe is started by unshare(1); the Yama
 * settings are the one change made outside the probe, host-wide, so they are tried only when
 * asked for, as root, and the original scope is written back whatever happens.
 */
public final class Matrix {
    private static final long PROBE_TIMEOUT_SECONDS = 60;
    private static final Path YAMA = Path.of("/proc/sys/kernel/yama/ptrace_scope");

    private final ProcFs procfs;
    private final List<String> java;
    private final Path unshare;

    /**
     * {@code java}: the command that starts an agent JVM, up to and including its main class or
     * jar; {@code unshare}: util-linux's unshare(1), which starts the user-namespace probe (null:
     * none here, and that probe is skipped).
     */
    public Matrix(ProcFs procfs, List<String> java, Path unshare) {
        this.procfs = procfs;
        this.java = List.copyOf(java);
        this.unshare = unshare;
    }

    /** Every setting against {@code pid}, in {@link Setting} order; Yama ones only with {@code allowYamaChange}. */
    public List<ProbeReport> run(int pid, boolean allowYamaChange) {
        List<ProbeReport> rows = new ArrayList<>();
        for (Setting s : Setting.values()) {
            rows.add(s.yamaScope() < 0 ? probe(s, pid) : yama(s, pid, allowYamaChange));
        }
        return rows;
    }

    private ProbeReport yama(Setting s, int pid, boolean allowed) {
        OptionalInt original = procfs.yamaPtraceScope();
        if (original.isEmpty()) {
            return ProbeReport.skipped(s, "this kernel has no Yama (no " + YAMA + ")", "");
        }
        if (!allowed) {
            return ProbeReport.skipped(s, "changes the host-wide kernel.yama.ptrace_scope: run as root with "
                    + "--allow-yama-change to try it (the scope is put back afterwards)", "");
        }
        int from = original.getAsInt();
        int to = s.yamaScope();
        if (to == 3 && from != 3) {
            return ProbeReport.skipped(s, "scope 3 cannot be lowered again until the next boot: not set", "");
        }
        if (from == to) {
            return probe(s, pid);
        }
        Thread restore = new Thread(() -> writeScope(from));
        try {
            writeScope(to);
        } catch (IllegalStateException e) {
            return ProbeReport.skipped(s, e.getMessage(), "");
        }
        Runtime.getRuntime().addShutdownHook(restore);
        try {
            return probe(s, pid);
        } finally {
            writeScope(from);
            Runtime.getRuntime().removeShutdownHook(restore);
        }
    }

    private static void writeScope(int scope) {
        try {
            Files.writeString(YAMA, Integer.toString(scope));
        } catch (IOException e) {
            throw new IllegalStateException("cannot write " + YAMA + " (root with CAP_SYS_ADMIN and CAP_SYS_PTRACE may): "
                    + e.getMessage(), e);
        }
    }

    /** One probe process for {@code s}: its report, or skipped with why it gave none. */
    ProbeReport probe(Setting s, int pid) {
        List<String> cmd = new ArrayList<>();
        if (s == Setting.USER_NAMESPACE) {
            if (unshare == null) {
                return ProbeReport.skipped(s, "unshare(1) from util-linux is needed to start a probe in a user namespace", "");
            }
            cmd.addAll(List.of(unshare.toString(), "--user", "--map-root-user"));
        }
        cmd.addAll(java);
        cmd.addAll(List.of("probe", "--setting", s.id(),
                "--outside-user-namespace", procfs.namespace(procfs.selfPid(), "user").asText().orElse(""),
                Integer.toString(pid)));
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (IOException e) {
            return ProbeReport.skipped(s, "cannot start the probe: " + e.getMessage(), "");
        }
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()));
        try {
            p.getOutputStream().close();
            if (!p.waitFor(PROBE_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return ProbeReport.skipped(s, "the probe did not finish within " + PROBE_TIMEOUT_SECONDS + " s", "");
            }
            String text = out.get();
            return ProbeReport.find(text).orElseGet(() -> ProbeReport.skipped(s, "the probe exited with status "
                    + p.exitValue() + " and no report: " + lastLine(text), ""));
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            return ProbeReport.skipped(s, "interrupted", "");
        } catch (IOException | java.util.concurrent.ExecutionException e) {
            return ProbeReport.skipped(s, "cannot read the probe's output: " + e.getMessage(), "");
        }
    }

    private static String readAll(InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    private static String lastLine(String text) {
        List<String> lines = text.strip().lines().toList();
        return lines.isEmpty() ? "(no output)" : lines.getLast();
    }
}
