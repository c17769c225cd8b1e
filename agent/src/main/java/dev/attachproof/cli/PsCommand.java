package dev.attachproof.cli;

import dev.attachproof.diagnose.FactsReader;
import dev.attachproof.diagnose.GoProcessScan;
import dev.attachproof.ptrace.StopMode;
import dev.attachproof.report.PsJson;
import dev.attachproof.report.PsText;
import dev.attachproof.report.Style;
import dev.attachproof.service.Engine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

/** {@code ps}: the Go processes visible here, each with its predicted verdict. */
@Command(name = "ps", mixinStandardHelpOptions = true,
        description = "Lists visible Go processes: pid, Go version, main package, and whether a debugger could attach (predicted, no proof).")
final class PsCommand implements Callable<Integer> {

    @Option(names = "--json", description = "Print JSON (schema attachproof.ps/v1).")
    boolean json;

    @Override
    public Integer call() {
        FactsReader facts = Engine.facts();
        GoProcessScan.Result processes = Engine.goProcesses(facts, Engine.doctor(facts, null, StopMode.LEADER));
        System.out.print(json ? PsJson.write(processes) : PsText.table(processes, Style.forConsole()));
        return ExitCodes.ATTACHABLE;
    }
}
