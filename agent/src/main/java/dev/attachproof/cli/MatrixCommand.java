package dev.attachproof.cli;

import dev.attachproof.diagnose.FactsReader;
import dev.attachproof.host.Programs;
import dev.attachproof.matrix.Matrix;
import dev.attachproof.matrix.ProbeReport;
import dev.attachproof.ptrace.StopMode;
import dev.attachproof.report.MatrixJson;
import dev.attachproof.report.MatrixText;
import dev.attachproof.service.Engine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code matrix PID}: the attach tried under each setting, each in a probe of its own; predicted against observed. */
@Command(name = "matrix", mixinStandardHelpOptions = true,
        description = {"Tries the attach to PID under varied settings (capability dropped, other uid, no_new_privs, "
                + "seccomp filters, a user namespace; with --allow-yama-change, Yama scopes), each in a child probe "
                + "that restricts itself, and prints the doctor's prediction against what the kernel did.",
            "Exit status: 0 every tried setting agrees with the prediction, 1 one does not, 2 bad input, 3 internal error."})
final class MatrixCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "PID", description = "The Go process to try.")
    String pid;

    @Option(names = "--json", description = "Print JSON (schema attachproof.matrix/v1).")
    boolean json;

    @Option(names = "--allow-yama-change", description = "As root on a Yama kernel: also try ptrace_scope 1 and 2 "
            + "(3 only when already set: it cannot be lowered until reboot), writing the original scope back afterwards.")
    boolean allowYamaChange;

    @Override
    public Integer call() {
        int target = Pids.parse(pid);
        FactsReader facts = Engine.facts();
        Engine.diagnoseGo(facts, Engine.doctor(facts, null, StopMode.LEADER), target, false);
        String name = facts.procfs().comm(target).orElse("?");
        Matrix matrix = new Matrix(facts.procfs(), agentJava(), Programs.onPath("unshare"));
        List<ProbeReport> rows = matrix.run(target, allowYamaChange);
        System.out.print(json ? MatrixJson.write(target, rows) : MatrixText.write(target, name, rows));
        return rows.stream().allMatch(r -> !r.applied() || r.agree()) ? ExitCodes.ATTACHABLE : ExitCodes.NOT_ATTACHABLE;
    }

    /** This JVM's java, native access, this class path and main class: what a probe runs on. */
    static List<String> agentJava() {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"));
        // The launcher's AOT cache was made from this jar: the probes start from it too.
        ProcessHandle.current().info().arguments().ifPresent(args -> Arrays.stream(args)
                .filter(a -> a.startsWith("-XX:AOTCache=")).forEach(cmd::add));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
        return cmd;
    }
}
