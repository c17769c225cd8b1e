package dev.attachproof.cli;

import dev.attachproof.report.GoroutinesFormat;
import dev.attachproof.service.Engine;
import dev.attachproof.snapshot.GoroutineSnapshot;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code goroutines PID}: every goroutine and its stack, read from outside the process. */
@Command(name = "goroutines", mixinStandardHelpOptions = true,
        description = {"A snapshot of every goroutine of a running Go process, in the shape of Go's own traceback.",
            "Every thread is stopped for the read (the time is reported) unless --no-stop.",
            "Exit status: 0 done, 2 bad input (no such pid, not Go, not attachable, unsupported Go)."})
final class GoroutinesCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "PID", description = "The Go process.")
    String pid;

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "text",
            description = "text (Go's traceback shape), json (schema attachproof.goroutines/v1) or pprof (a goroutine profile for go tool pprof).")
    String format;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Write to FILE instead of standard output.")
    Path output;

    @Option(names = "--no-stop", description = "Read without stopping the target (may be inconsistent; says so).")
    boolean noStop;

    @Option(names = "--group", description = "Text: goroutines with the same state and stack as one entry, with a count and their ids, biggest first.")
    boolean group;

    @Option(names = "--timing", description = "Also print, on standard error, where the time went (reading the binary, copying while stopped, unwinding, output).")
    boolean timing;

    @Option(names = "--system", description = "Include system goroutines (Go's GOTRACEBACK=system).")
    boolean system;

    @Override
    public Integer call() throws IOException {
        GoroutinesFormat f = GoroutinesFormat.named(format)
                .orElseThrow(() -> new BadInputException("--format " + format + ": text, json or pprof"));
        if (f == GoroutinesFormat.PPROF && output == null && System.console() != null) {
            throw new BadInputException("--format pprof writes a gzipped profile: give -o FILE, or redirect standard output");
        }
        int target = Pids.parse(pid);
        GoroutineSnapshot s = Engine.snapshot(target, noStop);
        long f0 = System.nanoTime();
        try (java.io.OutputStream w = new java.io.BufferedOutputStream(output != null ? Files.newOutputStream(output)
                : new java.io.FileOutputStream(java.io.FileDescriptor.out), 1 << 16)) {
            f.write(s, system, group, w);
        } catch (IOException e) {
            if (output == null && String.valueOf(e.getMessage()).contains("Broken pipe")) {
                return ExitCodes.ATTACHABLE;   // `| head`: the reader has what it wanted
            }
            throw e;
        }
        if (timing) {
            StringBuilder t = new StringBuilder("attachproof: timing (ms):");
            s.phaseMicros().entrySet()
                    .forEach(e -> t.append(' ').append(e.getKey()).append(' ').append(String.format("%.1f", e.getValue() / 1000.0)));
            System.err.println(t.append(String.format(" output %.1f", (System.nanoTime() - f0) / 1e6)));
        }
        if (f == GoroutinesFormat.TEXT) {
            System.err.println(s.stopped()
                    ? String.format("attachproof: %d goroutines; target stopped %.3f ms; layout %s; allgs by %s",
                            s.goroutines().size(), s.stoppedMicros() / 1000.0, s.layoutSource(), s.listMethod())
                    : "attachproof: " + s.goroutines().size() + " goroutines; " + String.join("; ", s.notes()));
        }
        return ExitCodes.ATTACHABLE;
    }
}
