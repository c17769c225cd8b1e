package dev.attachproof.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A host command the test needs (go, jlink, ldd, apt-get): run to completion within a bound, its
 * stdout returned, any failure thrown with its output. A missing program is a failure that says
 * what to install, never a skip: CI installs all of them (.ci/run).
 */
final class Command {
    private Command() {}

    static String run(Path dir, Map<String, String> env, Duration timeout, String installHint, List<String> argv)
            throws IOException, InterruptedException {
        Path stdout = Files.createTempFile("attachproof-it-", ".out");
        Path stderr = Files.createTempFile("attachproof-it-", ".err");
        try {
            ProcessBuilder pb = new ProcessBuilder(argv).directory(dir.toFile())
                    .redirectOutput(stdout.toFile()).redirectError(stderr.toFile());
            pb.environment().putAll(env);
            Process p;
            try {
                p = pb.start();
            } catch (IOException e) {
                throw new IllegalStateException(argv.getFirst() + " cannot be run (" + e.getMessage() + "): " + installHint, e);
            }
            boolean finished = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!finished) {
                p.destroyForcibly().waitFor();
            }
            String out = Files.readString(stdout, StandardCharsets.UTF_8);
            if (!finished || p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", argv)
                        + (finished ? " exited with " + p.exitValue() : " did not finish within " + timeout) + ":\n"
                        + out + Files.readString(stderr, StandardCharsets.UTF_8));
            }
            return out;
        } finally {
            Files.deleteIfExists(stdout);
            Files.deleteIfExists(stderr);
        }
    }
}
