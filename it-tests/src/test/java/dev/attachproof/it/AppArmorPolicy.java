package dev.attachproof.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The AppArmor profiles of YamaKernelTest's AppArmor cases (it-tests/src/test/apparmor): the
 * container runtimes' default profile, as docker-default and as cri-containerd.apparmor.d, and a
 * debugger's own. Compiled on the host into one binary policy ({@code apparmor_parser -Q}: no
 * kernel load; the host's kernel need not have AppArmor) against the feature set Debian's
 * apparmor package pins (its ABI 3.0, which includes ptrace mediation), for the VM's init to
 * write to /sys/kernel/security/apparmor/.load. The ptrace rules are also read back here, so that
 * the test's expectations follow the profiles as written.
 */
final class AppArmorPolicy {
    static final String PARSER = "apparmor_parser comes with Debian's apparmor package (apt-get install apparmor)";
    /** The features the policy is compiled for: Debian's pinned ABI, which Debian's kernel supports. */
    static final Path FEATURES = Path.of("/usr/share/apparmor-features/features");
    /** The profiles the container template is loaded as. */
    static final List<String> CONTAINER_PROFILES = List.of("docker-default", "cri-containerd.apparmor.d");
    private static final Pattern PTRACE = Pattern.compile("^\\s*ptrace \\(([a-z,]+)\\) peer=(\\S+),", Pattern.MULTILINE);

    /** One profile's ptrace rules: the peers it may trace, and those it may be traced by. */
    record PtraceRules(Set<String> trace, Set<String> tracedBy) {}

    private AppArmorPolicy() {}

    /** The profiles' source, as loaded: each profile once, @{PROC} defined for all. */
    static String source(Path repo) throws IOException {
        Path dir = repo.resolve("it-tests/src/test/apparmor");
        String template = Files.readString(dir.resolve("container-default.template"));
        StringBuilder sb = new StringBuilder("@{PROC}=/proc/\n");
        for (String name : CONTAINER_PROFILES) {
            sb.append(template.replace("{{.Name}}", name)).append('\n');
        }
        return sb.append(Files.readString(dir.resolve("debugger.profile"))).toString();
    }

    /** Compiles the profiles into {@code work}/apparmor.bin and returns it. */
    static Path compile(Path repo, Path work) throws IOException, InterruptedException {
        if (!Files.isRegularFile(FEATURES)) {
            throw new IllegalStateException(FEATURES + " is missing: " + PARSER);
        }
        Path source = Files.writeString(work.resolve("apparmor.sd"), source(repo));
        Path out = work.resolve("apparmor.bin");
        Files.deleteIfExists(out);
        Command.run(work, Map.of(), Duration.ofMinutes(2), PARSER, List.of("apparmor_parser", "--skip-kernel-load",
                "--skip-cache", "--features-file", FEATURES.toString(), "--ofile", out.toString(), source.toString()));
        return out;
    }

    /** Each profile's ptrace rules, read from the source. */
    static Map<String, PtraceRules> ptraceRules(Path repo) throws IOException {
        Map<String, PtraceRules> rules = new LinkedHashMap<>();
        String[] blocks = source(repo).split("(?m)^profile ");
        for (String block : List.of(blocks).subList(1, blocks.length)) {   // before the first: variables and comments
            String name = block.substring(0, block.indexOf(' '));
            Set<String> trace = new TreeSet<>();
            Set<String> tracedBy = new TreeSet<>();
            Matcher m = PTRACE.matcher(block);
            while (m.find()) {
                List<String> perms = new ArrayList<>(List.of(m.group(1).split(",")));
                if (perms.contains("trace")) {
                    trace.add(m.group(2));
                }
                if (perms.contains("tracedby")) {
                    tracedBy.add(m.group(2));
                }
            }
            rules.put(name, new PtraceRules(trace, tracedBy));
        }
        return rules;
    }
}
