package dev.attachproof.cli;

import dev.attachproof.diagnose.ContainerTarget;
import dev.attachproof.diagnose.FactsReader;
import dev.attachproof.report.Style;
import dev.attachproof.service.ContainerArgument;
import dev.attachproof.service.Engine;
import dev.attachproof.service.UserText;

/**
 * The process {@code doctor} and {@code goroutines} work on: a PID ({@link Pids}), or the main Go
 * process of the container {@code --container ID} names ({@link Engine#container}), never both.
 */
final class Targets {
    /** The pid to work on; {@code container} says how it was chosen, null when a PID was given. */
    record Target(int pid, ContainerTarget container) {}

    private Targets() {}

    /**
     * Exactly one of {@code pid} and {@code container} (either may be null). The choice a
     * container's id made is said on standard error unless {@code quiet} (the document says it).
     */
    static Target resolve(String pid, String container, FactsReader facts, boolean quiet) {
        if (pid != null && container != null) {
            throw new BadInputException("give a PID or --container ID, not both");
        }
        if (pid != null) {
            return new Target(Pids.parse(pid), null);
        }
        if (container == null) {
            throw new BadInputException("give a PID or --container ID (`attachproof ps` lists the Go processes)");
        }
        String prefix = switch (ContainerArgument.parse(container)) {
            case ContainerArgument.Parsed.Id id -> id.prefix();
            case ContainerArgument.Parsed.Invalid bad -> throw new BadInputException("--container " + UserText.quote(container) + " " + bad.why());
        };
        ContainerTarget chosen = Engine.container(facts, prefix);
        if (!quiet) {
            System.err.println("attachproof: " + Style.escape(chosen.describe()));
        }
        return new Target(chosen.pid(), chosen);
    }
}
