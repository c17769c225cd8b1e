package dev.attachproof.cli;

import dev.attachproof.linux.CallResult;
import dev.attachproof.linux.Errno;
import dev.attachproof.linux.Linux;
import dev.attachproof.probe.SeccompFilter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code restricted --seccomp-deny SYSCALL -- COMMAND...} (hidden): restricts this process, then
 * runs an attachproof command inside it, as a container's seccomp profile would restrict a
 * debugger. Used by the attach matrix's probes and by the tests.
 */
@Command(name = "restricted", hidden = true, mixinStandardHelpOptions = true,
        description = "Restrict this process (seccomp), then run an attachproof command under the restriction.")
final class RestrictedCommand implements Callable<Integer> {

    @Option(names = "--seccomp-deny", paramLabel = "SYSCALL", description = "Answer this syscall with EPERM (repeatable).")
    List<String> deny = List.of();

    @Parameters(paramLabel = "COMMAND", arity = "1..*", description = "The attachproof command to run restricted.")
    List<String> command;

    @Override
    public Integer call() {
        for (String s : deny) {
            if (!SeccompFilter.known().contains(s)) {
                throw new BadInputException("--seccomp-deny: unknown syscall '" + s + "' (known: " + SeccompFilter.known() + ")");
            }
        }
        if (!deny.isEmpty()) {
            CallResult<Long> r = SeccompFilter.install(Linux.system(), SeccompFilter.denying(deny, Errno.EPERM));
            if (r instanceof CallResult.Failed<Long> f) {
                throw new BadInputException("could not install the seccomp filter: " + f.describe());
            }
        }
        return Main.run(command.toArray(String[]::new));
    }
}
