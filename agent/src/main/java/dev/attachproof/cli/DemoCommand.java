package dev.attachproof.cli;

import dev.attachproof.diagnose.Diagnosis;
import dev.attachproof.diagnose.FactsReader;
import dev.attachproof.diagnose.Verdict;
import dev.attachproof.ptrace.StopMode;
import dev.attachproof.linux.Linux;
import dev.attachproof.ptrace.Tracer;
import dev.attachproof.report.DoctorText;
import dev.attachproof.report.GoroutinesText;
import dev.attachproof.snapshot.GoroutineSnapshot;
import dev.attachproof.snapshot.SnapshotException;
import dev.attachproof.report.Style;
import dev.attachproof.service.Engine;
import picocli.CommandLine.Command;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** {@code demo}: builds and starts the bundled Go program, runs the doctor and a goroutine snapshot on it, stops it. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Builds the bundled demo Go program (needs `go` on PATH), starts it, runs `doctor` and `goroutines` on it, and stops it.")
final class DemoCommand implements Callable<Integer> {
    private static final Pattern READY = Pattern.compile("READY pid=(\\d+) go=(\\S+)");

    @Override
    public Integer call() throws Exception {
        Path home = Path.of(System.getProperty("attachproof.home", "."));
        Path module = home.resolve("agent/go");
        if (!Files.isRegularFile(module.resolve("demo/main.go"))) {
            throw new BadInputException("the demo's Go sources are not at " + module.resolve("demo")
                    + ": run ./attachproof from a clone of the repository");
        }
        Path binary = home.resolve("agent/target/demo/demo");
        build(module, binary);
        // Through a shell, so the demo is our grandchild: were it this JVM's child, the JDK's process
        // reaper would be told of its ptrace stops (see Tracer) and take it for exited.
        Process demo = new ProcessBuilder("/bin/sh", "-c", "\"$0\" & wait", binary.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        int pid = -1;
        try {
            pid = awaitReady(demo);
            System.out.println("started the demo Go program: pid " + pid + "  (attachproof doctor " + pid + ")\n");
            FactsReader facts = Engine.facts();
            Diagnosis d = Engine.diagnose(Engine.doctor(facts, null, StopMode.LEADER), pid, true);
            Style style = Style.forConsole();
            System.out.print(DoctorText.write(d, facts.procfs().comm(pid).orElse("demo"), style));
            if (d.verdict() != Verdict.ATTACHABLE) {
                return ExitCodes.NOT_ATTACHABLE;
            }
            System.out.println("\n$ attachproof goroutines " + pid + "\n");
            try {
                GoroutineSnapshot s = GoroutineSnapshot.take(pid, false, Tracer.shared(), facts.procfs(), Linux.system());
                System.out.print(GoroutinesText.write(s, false, style.terminal()));
                System.out.printf("%n(%d goroutines read from outside the process; it was stopped for %.3f ms; "
                        + "layout from %s, goroutine list found by %s)%n", s.goroutines().size(), s.stoppedMicros() / 1000.0,
                        s.layoutSource(), s.listMethod());
            } catch (SnapshotException e) {
                System.out.println("goroutines: " + e.getMessage());
                return ExitCodes.NOT_ATTACHABLE;
            }
            return ExitCodes.ATTACHABLE;
        } finally {
            if (pid > 0) {
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
            }
            demo.destroy();
            if (!demo.waitFor(5, TimeUnit.SECONDS)) {
                demo.destroyForcibly();
            }
            System.out.println("\nstopped the demo program.");
        }
    }

    /** go build, when the binary is missing or older than a source file. */
    private static void build(Path module, Path binary) throws IOException, InterruptedException {
        if (Files.exists(binary) && !newerSources(module, Files.getLastModifiedTime(binary).toMillis())) {
            return;
        }
        Files.createDirectories(binary.getParent());
        System.out.println("building the demo Go program (go build) ...");
        Process go;
        try {
            go = new ProcessBuilder("go", "build", "-o", binary.toString(), "./demo")
                    .directory(module.toFile()).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new BadInputException("the demo needs Go to build its program, and `go` is not on PATH: install Go 1.19 or newer");
        }
        String output = new String(go.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (go.waitFor() != 0) {
            throw new BadInputException("go build of the demo failed: " + output.strip());
        }
    }

    private static boolean newerSources(Path module, long than) throws IOException {
        try (Stream<Path> files = Files.walk(module)) {
            return files.filter(p -> p.toString().endsWith(".go") || p.endsWith("go.mod"))
                    .anyMatch(p -> p.toFile().lastModified() > than);
        }
    }

    /** The demo prints "READY pid=… go=…" once its goroutines are parked: no sleeping here. */
    private static int awaitReady(Process demo) throws InterruptedException, ExecutionException {
        BufferedReader r = new BufferedReader(new InputStreamReader(demo.getInputStream(), StandardCharsets.UTF_8));
        CompletableFuture<String> line = CompletableFuture.supplyAsync(() -> {
            try {
                return r.readLine();
            } catch (IOException e) {
                return null;
            }
        });
        try {
            String first = line.get(15, TimeUnit.SECONDS);
            Matcher m = first == null ? null : READY.matcher(first);
            if (m == null || !m.find()) {
                throw new BadInputException("the demo program did not start (it printed: " + first + ")");
            }
            return Integer.parseInt(m.group(1));
        } catch (TimeoutException e) {
            throw new BadInputException("the demo program did not report ready within 15 s");
        }
    }
}
