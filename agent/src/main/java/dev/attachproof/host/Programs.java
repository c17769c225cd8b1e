package dev.attachproof.host;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/** Programs found on PATH and run to completion within a bound. */
public final class Programs {
    /** A program that ran: its exit status and what it printed (stdout, with stderr when asked for). */
    public record Ran(int exit, String output) {
        public boolean ok() {
            return exit == 0;
        }
    }

    /** A program that could not be run, or did not finish in time: the message says which, in one line. */
    public static final class NotRun extends Exception {
        NotRun(String message) {
            super(message);
        }
    }

    private Programs() {}

    /** {@code name} in the first directory of this process's PATH that holds it as an executable file; null when none does. */
    public static Path onPath(String name) {
        return onPath(name, System.getenv().getOrDefault("PATH", ""));
    }

    /** {@code name} in the first directory of {@code path} (a PATH value) that holds it as an executable file; null when none does. */
    public static Path onPath(String name, String path) {
        for (String dir : path.split(":")) {
            Path p = dir.isEmpty() ? null : Path.of(dir, name);
            if (p != null && Files.isRegularFile(p) && Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    /** {@code argv} run with no input, its stderr discarded, within {@code timeout}. */
    public static Ran run(Duration timeout, String... argv) throws NotRun {
        return run(timeout, false, List.of(argv));
    }

    /** {@code argv} run with no input within {@code timeout}, killed when it overruns; stderr merged into the output when {@code withStderr}. */
    public static Ran run(Duration timeout, boolean withStderr, List<String> argv) throws NotRun {
        Process p;
        try {
            ProcessBuilder pb = new ProcessBuilder(argv);
            if (withStderr) {
                pb.redirectErrorStream(true);
            } else {
                pb.redirectError(ProcessBuilder.Redirect.DISCARD);
            }
            p = pb.start();
        } catch (IOException e) {
            throw new NotRun("cannot run " + argv.getFirst() + ": " + e.getMessage());
        }
        CompletableFuture<String> output = CompletableFuture.supplyAsync(() -> read(p.getInputStream()),
                r -> Thread.ofVirtual().start(r));
        try {
            p.getOutputStream().close();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new NotRun("`" + String.join(" ", argv) + "` did not answer within "
                        + (timeout.toMillis() % 1000 == 0 ? timeout.toSeconds() + " s" : timeout.toMillis() + " ms"));
            }
            return new Ran(p.exitValue(), output.get());
        } catch (IOException | ExecutionException e) {
            throw new NotRun("cannot read what " + argv.getFirst() + " printed: " + e.getMessage());
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new NotRun("interrupted while " + argv.getFirst() + " ran");
        }
    }

    private static String read(InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
