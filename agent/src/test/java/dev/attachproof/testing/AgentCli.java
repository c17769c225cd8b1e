package dev.attachproof.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs the attachproof CLI in a child JVM, optionally behind a command that changes its
 * credentials (setpriv): restrictions like seccomp filters bind a whole process, so they are
 * tried on a child, never on the test JVM. The classpath is the test's own, with the jars from
 * the (root-only) Maven repository copied where other uids can read them. Whatever JSON document
 * a run prints is validated against the schema it names ({@link Schemas#assertValidIfDocument}).
 */
public final class AgentCli {
    private static volatile String sharedClasspath;

    private AgentCli() {}

    public record Result(int exit, String stdout, String stderr) {}

    public static Result run(String... args) {
        return runAs(List.of(), args);
    }

    public static Result runAs(List<String> prefix, String... args) {
        return run(prefix, Map.of(), args);
    }

    /** As {@link #run}, in an environment changed by {@code changes}: each variable set, or removed when its value is null. */
    public static Result runWithEnvironment(Map<String, String> changes, String... args) {
        return run(List.of(), changes, args);
    }

    private static Result run(List<String> prefix, Map<String, String> changes, String... args) {
        List<String> cmd = new ArrayList<>(prefix);
        cmd.addAll(javaCommand("dev.attachproof.cli.Main"));
        cmd.addAll(List.of(args));
        Result result;
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd);
            changes.forEach((name, value) -> {
                if (value == null) {
                    pb.environment().remove(name);
                } else {
                    pb.environment().put(name, value);
                }
            });
            Process p = pb.start();
            p.getOutputStream().close();
            CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> slurp(p.getInputStream()));
            CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> slurp(p.getErrorStream()));
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("attachproof " + String.join(" ", args) + " did not finish in 60 s");
            }
            result = new Result(p.exitValue(), out.get(), err.get());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        // The contract, on every run: a JSON document printed is valid against the schema it names.
        Schemas.assertValidIfDocument(result.stdout());
        return result;
    }

    /** The command line of a child JVM running {@code mainClass} on the test classpath. */
    public static List<String> javaCommand(String mainClass) {
        return List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", classpath(), mainClass);
    }

    private static String slurp(java.io.InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    private static String classpath() {
        String cp = sharedClasspath;
        if (cp != null) {
            return cp;
        }
        synchronized (AgentCli.class) {
            if (sharedClasspath == null) {
                sharedClasspath = readableClasspath();
            }
            return sharedClasspath;
        }
    }

    private static String readableClasspath() {
        Path dir = Path.of("target/readable-classpath").toAbsolutePath();
        List<String> out = new ArrayList<>();
        try {
            Files.createDirectories(dir);
            for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
                Path p = Path.of(entry);
                if (Files.isRegularFile(p) && p.toString().endsWith(".jar")) {
                    Path copy = dir.resolve(p.getFileName());
                    // Copied again when the jar changed (a module rebuilt in this reactor): never a stale copy.
                    if (!Files.exists(copy) || Files.size(copy) != Files.size(p)
                            || Files.getLastModifiedTime(copy).compareTo(Files.getLastModifiedTime(p)) < 0) {
                        Files.copy(p, copy, StandardCopyOption.REPLACE_EXISTING);
                        copy.toFile().setReadable(true, false);
                    }
                    out.add(copy.toString());
                } else {
                    out.add(p.toAbsolutePath().toString());
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return String.join(java.io.File.pathSeparator, out);
    }
}
