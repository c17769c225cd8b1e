package dev.attachproof.cli;

import dev.attachproof.delve.DapAttach;
import dev.attachproof.delve.DelveLocator;
import dev.attachproof.delve.DelveBinary;
import dev.attachproof.diagnose.Diagnosis;
import dev.attachproof.diagnose.FactsReader;
import dev.attachproof.diagnose.Finding;
import dev.attachproof.diagnose.Status;
import dev.attachproof.linux.Linux;
import dev.attachproof.ptrace.StopMode;
import dev.attachproof.report.DapJson;
import dev.attachproof.report.DapReport;
import dev.attachproof.report.DapText;
import dev.attachproof.report.Style;
import dev.attachproof.service.Engine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;

/** {@code dap PID [--dlv PATH] [--workspace DIR]}: the attach VS Code's Go extension makes (dlv dap), made for real and explained. */
@Command(name = "dap", mixinStandardHelpOptions = true,
        description = {"Attaches Delve to PID as VS Code's Go extension does (dlv dap: initialize, attach, configurationDone, "
            + "threads, stackTrace, disconnect), with a timeout on every step; the target is left running and untraced.",
            "A failed step is told in Delve's own words, with the doctor's failing checks as the why.",
            "Exit status: 0 attached and goroutines listed, 1 Delve failed, 2 bad input, 3 internal error."})
final class DapCommand implements Callable<Integer> {

    /**
     * The checks the doctor only warns about, since ptrace attaches regardless, but that decide a
     * debug session: Delve reads the target's DWARF on attach, and supports a range of Go versions.
     */
    static final Set<String> DEBUG_SESSION_CHECKS = Set.of("target.debuginfo", "delve.compat");

    @Parameters(index = "0", paramLabel = "PID", description = "The Go process to attach to.")
    String pid;

    /** --dlv PATH, else the Delve VS Code's Go extension would run (--workspace DIR counts first). */
    @Mixin
    DelveOptions delveOptions;

    @Option(names = "--json", description = "Print JSON (schema attachproof.dap/v1).")
    boolean json;

    @Override
    public Integer call() {
        int target = Pids.parse(pid);
        DelveLocator.Search search = delveOptions.search();
        if (search.found() == null) {
            throw new BadInputException("no Delve found where VS Code's Go extension looks (" + String.join("; ", search.looked())
                    + "): give --dlv PATH, or install it: go install github.com/go-delve/delve/cmd/dlv@latest");
        }
        Path path = search.found().path();
        String named = search.named() ? "--dlv " + path : path + " (from " + search.found().foundIn() + ")";
        if (!Files.isRegularFile(path) || !Files.isExecutable(path)) {
            throw new BadInputException(named + ": " + (Files.exists(path) ? "not an executable file" : "no such file"));
        }
        DelveBinary.Result delve = DelveBinary.identify(path);
        if (delve.delve() == null) {
            throw new BadInputException(named + ": " + delve.problem());
        }
        // The doctor's checks first (no proof: the attach below is the proof): a pid that is not
        // there or not Go is bad input, and the failing checks are the why of a failed attach.
        FactsReader facts = Engine.facts();
        Diagnosis d = Engine.diagnoseGo(facts, Engine.doctor(facts, search, StopMode.LEADER), target, false);
        DapAttach.Outcome outcome = DapAttach.run(path, target, facts.procfs(), Linux.system());
        List<Finding> why = d.findings().stream().filter(f -> f.status() == Status.FAIL
                || f.status() == Status.WARN && DEBUG_SESSION_CHECKS.contains(f.id())).toList();
        DapReport report = new DapReport(target, delve.delve(), search.found().foundIn(), outcome, why);
        System.out.print(json ? DapJson.write(report) : DapText.write(report, Style.forConsole()));
        return outcome.ok() ? ExitCodes.ATTACHABLE : ExitCodes.NOT_ATTACHABLE;
    }
}
