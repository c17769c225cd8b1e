package dev.attachproof.cli;

import dev.attachproof.host.FdOutputStream;
import dev.attachproof.linux.Linux;
import dev.attachproof.report.GoroutinesFormat;
import dev.attachproof.report.Style;
import dev.attachproof.service.Engine;
import dev.attachproof.service.TargetException;
import dev.attachproof.snapshot.GoroutineSnapshot;
import dev.attachproof.snapshot.MaxStop;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code goroutines PID | --container ID}: every goroutine and its stack, read from outside the process. */
@Command(name = "goroutines", mixinStandardHelpOptions = true,
        description = {"A snapshot of every goroutine of a running Go process, in the shape of Go's own traceback.",
            "Every thread is stopped for the read (the time is reported) unless --no-stop.",
            "Exit status: 0 done, 2 bad input (no such pid, not Go, not attachable, unsupported Go)."})
final class GoroutinesCommand implements Callable<Integer> {

    @Mixin
    TargetOptions targetOptions;

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "text",
            description = "text (Go's traceback shape), json (schema attachproof.goroutines/v1) or pprof (a goroutine profile for go tool pprof).")
    String format;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Write to FILE instead of standard output.")
    Path output;

    @Option(names = "--no-stop", description = "Read without stopping the target (may be inconsistent; says so).")
    boolean noStop;

    @Option(names = "--max-stop", paramLabel = "DURATION",
            description = "Let the target go once it has been stopped this long (e.g. 50ms; default: no limit): the stacks not "
                + "yet copied are then read while it runs, counted on standard error and marked readAfterStop in JSON.")
    String maxStop;

    @Option(names = "--group", description = "Text: goroutines with the same state and stack as one entry, with a count and their ids (runs as first..last), biggest first.")
    boolean group;

    @Option(names = "--waits", description = "Instead of the dump: the objects goroutines are blocked on (channels with their element type, buffer and state; sync.Mutex, RWMutex, WaitGroup; semaphores), each with how many goroutines wait on it and their ids, biggest first; then \"all goroutines are asleep\" when the runtime's deadlock verdict holds.")
    boolean waits;

    @Option(names = "--timing", description = "Also print, on standard error, where the time went: reading the binary (and whether the cache of an earlier snapshot's findings served: hit, miss, off), the copy made while the target runs (precopy), the stop split into phases that add up to it (interrupt, wait, goroutines (read again and compared with the copy), labels, registers, stacks, detach), how many stacks copied before the stop were kept (and, when what goroutines wait on is read, how many goroutines kept what was read of it before the stop), unwinding, output (text is written while the goroutines are unwound: those two overlap).")
    boolean timing;

    @Option(names = "--system", description = "Include system goroutines (Go's GOTRACEBACK=system).")
    boolean system;

    @Override
    public Integer call() throws IOException {
        GoroutinesFormat f = GoroutinesFormat.named(format)
                .orElseThrow(() -> new BadInputException("--format " + format + ": text, json or pprof"));
        Style style = Style.forConsole();
        if (f == GoroutinesFormat.PPROF && output == null && style.terminal()) {
            throw new BadInputException("--format pprof writes a gzipped profile: give -o FILE, or redirect standard output");
        }
        Duration limit;
        try {
            limit = maxStop == null ? null : MaxStop.parse(maxStop).orElse(null);
        } catch (IllegalArgumentException e) {
            throw new BadInputException("--max-stop: " + e.getMessage());
        }
        if (limit != null && noStop) {
            throw new BadInputException("--max-stop limits a stop, and --no-stop makes none: give one of them");
        }
        if (waits && (f != GoroutinesFormat.TEXT || group)) {
            throw new BadInputException("--waits is a text view of its own: JSON has waitingOn per goroutine, and --group names a group's shared object");
        }
        Targets.Target target = targetOptions.resolve(Engine.facts(), f == GoroutinesFormat.JSON);
        // The text is written while the last goroutines are unwound; the other formats wait for
        // all. What goroutines wait on is read only for the outputs that show it.
        GoroutineSnapshot s = Engine.snapshot(target.pid(), noStop, limit,
                new GoroutineSnapshot.Reading(f == GoroutinesFormat.JSON || group || waits, f == GoroutinesFormat.TEXT,
                        f == GoroutinesFormat.TEXT && !group && !waits));
        long f0 = System.nanoTime();
        try (java.io.OutputStream w = new java.io.BufferedOutputStream(output != null ? Files.newOutputStream(output)
                : FdOutputStream.stdout(Linux.system()), 1 << 16)) {
            // Escaped for a terminal only: to a file or a pipe the dump is Go's own bytes.
            if (waits) {
                dev.attachproof.report.GoroutinesWaits.write(s, output == null && style.terminal(), w);
            } else {
                f.write(s, system, group, output == null && style.terminal(), target.container(), w);
            }
            s.awaitUnwound();   // the last blocks may hold no goroutine the text shows
        } catch (FdOutputStream.ReaderGone e) {
            return ExitCodes.ATTACHABLE;   // `| head`: the reader has what it wanted
        } catch (GoroutineSnapshot.UnwindFailed e) {
            // What was written stands (the goroutines before the one that failed); then one line.
            throw new TargetException(TargetException.Reason.UNSUITABLE, e.getMessage());
        }
        if (timing) {
            System.err.println(timingLine(s, System.nanoTime() - f0));
        }
        if (f == GoroutinesFormat.TEXT) {
            System.err.println("attachproof: " + counted(s) + "; " + Style.escape(s.stopped()
                    ? String.format("target stopped %.3f ms; layout %s; allgs by %s", s.stoppedMicros() / 1000.0,
                            s.layoutSource(), s.listMethod()) + (s.notes().isEmpty() ? "" : "; " + String.join("; ", s.notes()))
                    : String.join("; ", s.notes())));
        }
        return ExitCodes.ATTACHABLE;
    }

    /**
     * How many goroutines the text shows and how many there are: without --system, Go's own
     * dump leaves the system goroutines out (runtime/traceback.go, isSystemGoroutine), and so
     * does ours, so the two counts differ and both are said.
     */
    private String counted(GoroutineSnapshot s) {
        int all = s.goroutines().size();
        long hidden = system ? 0 : s.systemGoroutines();
        return hidden == 0 ? all + " goroutines"
                : String.format("%d goroutines shown of %d (%d system goroutines hidden; --system shows them)",
                        all - hidden, all, hidden);
    }

    /**
     * --timing: the phases before the stop, the stop split into its phases (they add up to it:
     * a lap clock, {@link dev.attachproof.ptrace.StopPhases}), then those after it.
     */
    private static String timingLine(GoroutineSnapshot s, long outputNanos) {
        Map<String, Long> stop = s.stopPhaseMicros();
        StringBuilder t = new StringBuilder("attachproof: timing (ms):");
        s.phaseMicros().forEach((k, v) -> {
            if (!stop.containsKey(k) && !k.equals("unwind") && !k.equals("afterStop")) {
                t.append(' ').append(k).append(' ').append(ms(v));
                if (k.equals("binary")) {
                    t.append(" (cache ").append(s.binaryCache().word()).append(')');
                }
            }
        });
        if (s.stopped()) {
            t.append("; stopped ").append(ms(s.stoppedMicros())).append(" =");
            String sep = " ";
            for (Map.Entry<String, Long> e : stop.entrySet()) {
                t.append(sep).append(e.getKey()).append(' ').append(ms(e.getValue()));
                sep = " + ";
            }
            t.append(';');
            if (s.stacksKept() >= 0) {
                t.append(" stacks kept ").append(s.stacksKept()).append(" of ").append(s.goroutines().size()).append(';');
            }
            if (s.waiting().read()) {
                // Goroutines whose wait was read before the stop and kept (WaitReader#read)
                t.append(" waits kept ").append(s.waiting().raw().adopted()).append(';');
            }
            if (s.readAfterStop() > 0) {
                t.append(" read after the stop ").append(s.readAfterStop()).append(" in ")
                        .append(ms(s.phaseMicros().getOrDefault("afterStop", 0L))).append(';');
            }
        }
        t.append(" unwind ").append(ms(s.phaseMicros().getOrDefault("unwind", 0L)));
        return t.append(" output ").append(ms(outputNanos / 1000)).toString();
    }

    private static String ms(long micros) {
        return String.format("%.1f", micros / 1000.0);
    }
}
