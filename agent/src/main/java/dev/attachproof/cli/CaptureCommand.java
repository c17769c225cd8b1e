package dev.attachproof.cli;

import dev.attachproof.linux.Linux;
import dev.attachproof.procfs.ProcFs;
import dev.attachproof.ptrace.Tracer;
import dev.attachproof.report.GoroutinesText;
import dev.attachproof.service.TargetException;
import dev.attachproof.snapshot.GoroutineSnapshot;
import dev.attachproof.snapshot.SnapshotException;
import dev.attachproof.snapshot.TargetCapture;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code __capture PID FILE} (hidden): a stopped goroutine snapshot of PID, saved with the memory
 * and registers it read and the dump it printed ({@link TargetCapture}), as test data for the
 * goroutine reader and the unwinder: run where the target runs (a VM of another CPU), replayed by
 * the unit tests anywhere. Prints the dump, as {@code goroutines} would.
 */
@Command(name = "__capture", hidden = true, mixinStandardHelpOptions = true,
        description = "Save a goroutine snapshot's memory, registers and dump to FILE, as test data (for developers).")
final class CaptureCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "PID", description = "The target.")
    String pid;

    @Parameters(index = "1", paramLabel = "FILE", description = "Where the capture goes (gzip).")
    Path file;

    @Override
    public Integer call() throws IOException {
        int target = Pids.parse(pid);
        GoroutineSnapshot.Recorded r;
        try {
            r = GoroutineSnapshot.record(target, Tracer.shared(), ProcFs.live(), Linux.system());
        } catch (SnapshotException e) {
            throw new TargetException(TargetException.Reason.UNSUITABLE, e.getMessage());
        }
        String text = GoroutinesText.write(r.snapshot(), false);
        TargetCapture c = r.capture().withText(text);
        try (OutputStream out = Files.newOutputStream(file)) {
            c.write(out);
        }
        System.out.print(text);
        System.err.printf("attachproof: captured %d ranges (%d bytes) and %d threads' registers of %s %s to %s%n",
                c.ranges().size(), c.memoryBytes(), c.registers().size(), c.goVersion(), c.arch(), file);
        return ExitCodes.ATTACHABLE;
    }
}
