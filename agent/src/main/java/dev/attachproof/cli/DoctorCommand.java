package dev.attachproof.cli;

import dev.attachproof.diagnose.Diagnosis;
import dev.attachproof.diagnose.Doctor;
import dev.attachproof.diagnose.FactsReader;
import dev.attachproof.diagnose.Finding;
import dev.attachproof.diagnose.GoProcessScan;
import dev.attachproof.diagnose.TracerFacts;
import dev.attachproof.diagnose.Verdict;
import dev.attachproof.ptrace.StopMode;
import dev.attachproof.report.DoctorJson;
import dev.attachproof.report.DoctorText;
import dev.attachproof.report.Style;
import dev.attachproof.service.Engine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code doctor [PID | --container ID]}: every check, then the live proof. */
@Command(name = "doctor", mixinStandardHelpOptions = true,
        description = {"Checks whether a debugger can attach to PID from here, and proves it by attaching for microseconds.",
            "With --container ID instead of PID: the main Go process of that container (its init process when it is Go, else its oldest Go process).",
            "With neither: this environment's side of every check, and each visible Go process with its predicted verdict.",
            "Exit status: 0 attachable, 1 not attachable, 2 bad input, 3 internal error."})
final class DoctorCommand implements Callable<Integer> {

    @Mixin
    TargetOptions target;

    @Option(names = "--json", description = "Print JSON (schema attachproof.doctor/v1).")
    boolean json;

    @Option(names = "--no-proof", description = "Only predict from the checks; do not attach.")
    boolean noProof;

    @Mixin
    DelveOptions delve;

    @Option(names = "--stop", paramLabel = "leader|all", defaultValue = "leader",
            description = "Threads stopped during the proof: the leader (default) or all threads.")
    String stop;

    @Override
    public Integer call() {
        StopMode mode = switch (stop) {
            case "leader" -> StopMode.LEADER;
            case "all" -> StopMode.ALL_THREADS;
            default -> throw new BadInputException("--stop takes 'leader' or 'all', not '" + stop + "'");
        };
        FactsReader facts = Engine.facts();
        Doctor doctor = Engine.doctor(facts, delve.search(), mode);
        PrintStream out = System.out;
        if (target.none()) {
            TracerFacts tracer = doctor.tracerFacts();
            List<Finding> env = doctor.environment(tracer);
            GoProcessScan.Result processes = new GoProcessScan(facts, doctor).scan(tracer);
            out.print(json ? DoctorJson.writeEnvironment(env, processes) : DoctorText.writeEnvironment(env, processes, Style.forConsole()));
            return ExitCodes.ATTACHABLE;
        }
        Targets.Target t = target.resolve(facts, json);
        int target = t.pid();
        Diagnosis d = Engine.diagnoseGo(facts, doctor, target, !noProof);
        String name = facts.procfs().comm(target).orElse("?");
        out.print(json ? DoctorJson.write(d, t.container()) : DoctorText.write(d, name, Style.forConsole()));
        return d.verdict() == Verdict.ATTACHABLE ? ExitCodes.ATTACHABLE : ExitCodes.NOT_ATTACHABLE;
    }
}
