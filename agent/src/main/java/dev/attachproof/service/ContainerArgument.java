package dev.attachproof.service;

import dev.attachproof.diagnose.ContainerIds;

import java.util.List;

/**
 * A container id as a user gives it, on the command line ({@code --container}) or in {@code
 * ?container=}: read in this one place, so both front ends take the same ids. Taken: the full id
 * (64 hex digits), a prefix of at least 12 (what {@code docker ps} and {@code crictl ps} print),
 * and the form Kubernetes prints in {@code status.containerStatuses[].containerID}, the id after
 * the runtime's name ({@code containerd://ID}, {@code cri-o://ID}, {@code docker://ID}).
 */
public final class ContainerArgument {
    /** The shortest prefix taken: 12 digits, the short id the runtimes print. Fewer would match by chance. */
    public static final int MIN_PREFIX = 12;

    /** The runtime prefixes of a Kubernetes containerID. */
    static final List<String> RUNTIMES = List.of("containerd://", "cri-o://", "docker://");

    /** What the argument reads as. */
    public sealed interface Parsed {
        /** The id, or a prefix of it, in lowercase hex. */
        record Id(String prefix) implements Parsed {}

        /** Not an id: {@code why}, a clause that goes after the quoted argument. */
        record Invalid(String why) implements Parsed {}
    }

    private ContainerArgument() {}

    public static Parsed parse(String text) {
        if (text == null || text.isEmpty()) {
            return new Parsed.Invalid("is empty: give a container id, 12 to 64 hex digits");
        }
        String id = text;
        int scheme = text.indexOf("://");
        if (scheme >= 0) {
            String runtime = text.substring(0, scheme + 3);
            if (!RUNTIMES.contains(runtime)) {
                return new Parsed.Invalid("names a runtime not known here: give the id alone, or "
                        + String.join(", ", RUNTIMES.stream().map(r -> r + "ID").toList()));
            }
            id = text.substring(scheme + 3);
        }
        // Uppercase is taken as the same digits: the runtimes write ids in lowercase.
        id = id.toLowerCase(java.util.Locale.ROOT);
        if (!ContainerIds.isHex(id)) {
            return new Parsed.Invalid("is not a container id: give the id Docker, containerd or CRI-O print, "
                    + "12 to 64 hex digits, or Kubernetes' containerID (containerd://ID)");
        }
        if (id.length() < MIN_PREFIX) {
            return new Parsed.Invalid("is " + id.length() + " hex digits: give at least " + MIN_PREFIX
                    + " (the short id `docker ps` and `crictl ps` print) or the full 64");
        }
        if (id.length() > ContainerIds.FULL_LENGTH) {
            return new Parsed.Invalid("is " + id.length() + " hex digits: a container id has " + ContainerIds.FULL_LENGTH);
        }
        return new Parsed.Id(id);
    }
}
