package dev.attachproof.cli;

import dev.attachproof.diagnose.FactsReader;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code PID} or {@code --container ID}, shared by doctor, goroutines and vscode: which Go process to work on ({@link Targets}). */
final class TargetOptions {

    @Parameters(index = "0", arity = "0..1", paramLabel = "PID", description = "The Go process (or give --container).")
    String pid;

    @Option(names = "--container", paramLabel = "ID",
            description = "Instead of PID: the container whose main Go process to use (its init process when it is Go, else its oldest "
                    + "Go process): its id (64 hex digits, or a prefix of 12 or more), or Kubernetes' containerID "
                    + "(containerd://ID, cri-o://ID, docker://ID).")
    String container;

    /** Whether neither was given. */
    boolean none() {
        return pid == null && container == null;
    }

    /** The process named; how a container's id chose it is said on standard error unless {@code quiet}. */
    Targets.Target resolve(FactsReader facts, boolean quiet) {
        return Targets.resolve(pid, container, facts, quiet);
    }
}
