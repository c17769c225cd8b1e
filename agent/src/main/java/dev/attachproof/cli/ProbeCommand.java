package dev.attachproof.cli;

import dev.attachproof.diagnose.FactsReader;
import dev.attachproof.linux.Linux;
import dev.attachproof.matrix.Probe;
import dev.attachproof.matrix.Setting;
import dev.attachproof.ptrace.StopMode;
import dev.attachproof.ptrace.Tracer;
import dev.attachproof.service.Engine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.concurrent.Callable;

/**
 * {@code probe --setting NAME PID} (hidden): one row of the attach matrix, in a process of its
 * own: restrict this process as the setting says, predict, attach, read one word, print the
 * report line for the matrix. Started by {@code matrix}, not by people.
 */
@Command(name = "probe", hidden = true, mixinStandardHelpOptions = true,
        description = "One attach-matrix probe: restrict this process, predict, attach, report (started by `matrix`).")
final class ProbeCommand implements Callable<Integer> {

    @Option(names = "--setting", required = true, paramLabel = "NAME", description = "The restriction to apply.")
    String setting;

    @Option(names = "--outside-user-namespace", paramLabel = "NS", defaultValue = "",
            description = "The matrix's user namespace (/proc/PID/ns/user), which the user-namespace probe must have left.")
    String outsideUserNamespace;

    @Parameters(index = "0", paramLabel = "PID", description = "The target.")
    String pid;

    @Override
    public Integer call() {
        Setting s = Setting.byId(setting).orElseThrow(() -> new BadInputException(
                "--setting: unknown setting '" + setting + "' (known: " + Setting.ids() + ")"));
        int target = Pids.parse(pid);
        FactsReader facts = Engine.facts();
        Probe probe = new Probe(facts, Engine.doctor(facts, null, StopMode.LEADER), Tracer.shared(), Linux.system());
        System.out.println(probe.run(s, target, outsideUserNamespace).toLine());
        return ExitCodes.ATTACHABLE;
    }
}
