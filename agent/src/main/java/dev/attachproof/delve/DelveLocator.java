package dev.attachproof.delve;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.attachproof.host.Programs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The Delve that VS Code's Go extension would run, found where people's tools put it, in the
 * extension's own order (vscode-go's getBinPathWithExplanation): {@code go.alternateTools.dlv},
 * then {@code <go.toolsGopath>/bin/dlv}, then {@code $GOBIN}, {@code $(go env GOPATH)/bin},
 * {@code ~/go/bin} and PATH. A workspace's {@code .vscode/settings.json} wins over a remote
 * machine's settings, which win over the user's, as in VS Code. The first candidate that exists
 * and is executable wins; every one looked at is kept, so "none found" can say where.
 */
public final class DelveLocator {
    static final Path USER_SETTINGS = Path.of(".config/Code/User/settings.json");
    static final Path MACHINE_SETTINGS = Path.of(".vscode-server/data/Machine/settings.json");
    static final List<Path> EXTENSION_DIRS = List.of(Path.of(".vscode/extensions"), Path.of(".vscode-server/extensions"));
    private static final Pattern VARIABLE = Pattern.compile("\\$\\{(env:([A-Za-z_][A-Za-z0-9_]*)|workspaceFolder|userHome)}");
    private static final JsonMapper JSONC = JsonMapper.builder()
            .enable(JsonReadFeature.ALLOW_JAVA_COMMENTS, JsonReadFeature.ALLOW_TRAILING_COMMA).build();

    /**
     * What the search depends on: the home directory, the environment (PATH, GOBIN, GOPATH) and
     * a way to ask {@code go env GOPATH} of the go at a path (empty when it does not answer).
     */
    public record Environment(Path home, Map<String, String> env, Function<Path, Optional<String>> goEnvGopath) {
        /** This process's; the home directory is $HOME, as VS Code and go see it (user.home is the passwd entry's). */
        public static Environment live() {
            String home = System.getenv("HOME");
            return new Environment(Path.of(home == null || home.isEmpty() ? System.getProperty("user.home") : home),
                    System.getenv(), DelveLocator::goEnvGopath);
        }
    }

    /** A dlv found: where it is and which source named it ("GOBIN", "PATH", "vscode-settings (…)"). */
    public record Found(Path path, String foundIn) {}

    /**
     * The search's answer: the dlv found (null when none), every place looked at with why it was
     * passed over, and the Go extension's version ("0.42.1 (~/.vscode/extensions/golang.go-0.42.1)";
     * null when it is not installed).
     */
    public record Search(Found found, List<String> looked, String goExtension) {
        static final String NAMED = "--dlv";

        /** Whether the user named this dlv (--dlv PATH) rather than it being found. */
        public boolean named() {
            return found != null && found.foundIn().equals(NAMED);
        }
    }

    private final Environment environment;

    public DelveLocator(Environment environment) {
        this.environment = environment;
    }

    /** The dlv the user named with --dlv: no search, but the Go extension is still reported. */
    public Search named(Path dlv) {
        return new Search(new Found(dlv, Search.NAMED), List.of(), goExtension().orElse(null));
    }

    /** The search, with {@code workspace} (may be null) the folder whose .vscode/settings.json counts first. */
    public Search locate(Path workspace) {
        List<String> looked = new ArrayList<>();
        List<Settings> settings = new ArrayList<>();
        if (workspace != null) {
            settings.add(Settings.read(workspace.resolve(".vscode/settings.json"), looked));
        }
        settings.add(Settings.read(environment.home().resolve(MACHINE_SETTINGS), looked));
        settings.add(Settings.read(environment.home().resolve(USER_SETTINGS), looked));
        Found found = first(candidates(settings, workspace, looked), looked);
        return new Search(found, List.copyOf(looked), goExtension().orElse(null));
    }

    /** The candidates in order, each with the source that names it. */
    private List<Found> candidates(List<Settings> settings, Path workspace, List<String> looked) {
        List<Found> out = new ArrayList<>();
        for (Settings s : settings) {
            if (s.alternateDlv() != null) {
                String value = expand(s.alternateDlv(), workspace);
                String source = "vscode-settings (" + shown(s.file()) + " go.alternateTools.dlv)";
                if (value.contains("/")) {
                    Path p = Path.of(value);
                    out.add(new Found(p.isAbsolute() || workspace == null ? p : workspace.resolve(p), source));
                } else {
                    // A bare command name: the extension looks it up on PATH.
                    Path p = onPath(value);
                    if (p == null) {
                        looked.add(source + ": " + value + " (not on PATH)");
                    } else {
                        out.add(new Found(p, source));
                    }
                }
            }
        }
        for (Settings s : settings) {
            if (s.toolsGopath() != null) {
                for (String dir : expand(s.toolsGopath(), workspace).split(":")) {
                    if (!dir.isEmpty()) {
                        out.add(new Found(Path.of(dir, "bin", "dlv"), "vscode-settings (" + shown(s.file()) + " go.toolsGopath)"));
                    }
                }
            }
        }
        String gobin = environment.env().get("GOBIN");
        if (gobin != null && !gobin.isEmpty()) {
            out.add(new Found(Path.of(gobin, "dlv"), "GOBIN"));
        }
        for (String dir : gopath()) {
            out.add(new Found(Path.of(dir, "bin", "dlv"), "GOPATH/bin"));
        }
        out.add(new Found(environment.home().resolve("go/bin/dlv"), "~/go/bin"));
        Path onPath = onPath("dlv");
        if (onPath == null) {
            looked.add("PATH: no dlv");
        } else {
            out.add(new Found(onPath, "PATH"));
        }
        return out;
    }

    /** The first candidate that is an executable file; the others before it are noted. */
    private Found first(List<Found> candidates, List<String> looked) {
        Set<Path> seen = new LinkedHashSet<>();
        for (Found c : candidates) {
            if (!seen.add(c.path())) {
                continue;
            }
            if (Files.isRegularFile(c.path()) && Files.isExecutable(c.path())) {
                return c;
            }
            looked.add(c.foundIn() + ": " + c.path() + (Files.exists(c.path()) ? " (not executable)" : " (missing)"));
        }
        return null;
    }

    /**
     * GOPATH's directories: `go env GOPATH` when go is on PATH, else $GOPATH; none when neither
     * says, for go's default (~/go) is the next candidate, reported as such.
     */
    private List<String> gopath() {
        Path go = onPath("go");
        Optional<String> value = go == null ? Optional.empty() : environment.goEnvGopath().apply(go);
        String gopath = value.orElseGet(() -> environment.env().getOrDefault("GOPATH", ""));
        return Stream.of(gopath.strip().split(":")).filter(s -> !s.isEmpty()).toList();
    }

    /** {@code name} in the first directory of PATH that holds it executable, as a shell finds it; null when none does. */
    private Path onPath(String name) {
        return Programs.onPath(name, environment.env().getOrDefault("PATH", ""));
    }

    /**
     * The variables VS Code resolves in settings (its configurationResolver): a leading ~,
     * ${userHome}, ${env:VAR} (empty when unset, as VS Code does) and ${workspaceFolder} (left as
     * is without a workspace, so the path does not exist and is reported as missing).
     */
    String expand(String value, Path workspace) {
        String v = value.equals("~") || value.startsWith("~/") ? environment.home() + value.substring(1) : value;
        Matcher m = VARIABLE.matcher(v);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String replacement = m.group(2) != null ? environment.env().getOrDefault(m.group(2), "")
                    : m.group(1).equals("userHome") ? environment.home().toString()
                    : workspace != null ? workspace.toString() : m.group();
            m.appendReplacement(sb, Matcher.quoteReplacement(replacement));
        }
        return m.appendTail(sb).toString();
    }

    /** The newest Go extension installed (locally or on a remote host), by its package.json. */
    Optional<String> goExtension() {
        record Installed(String version, Path dir) {}
        List<Installed> found = new ArrayList<>();
        for (Path parent : EXTENSION_DIRS) {
            try (Stream<Path> dirs = Files.list(environment.home().resolve(parent))) {
                for (Path d : dirs.filter(d -> d.getFileName().toString().startsWith("golang.go-")).toList()) {
                    JsonNode version = JSONC.readTree(d.resolve("package.json").toFile()).path("version");
                    if (version.isTextual()) {
                        found.add(new Installed(version.asText(), d));
                    }
                }
            } catch (IOException e) {
                // No such directory, or an extension's package.json unreadable: not installed there.
            }
        }
        return found.stream().max(Comparator.comparing(Installed::version, DelveLocator::compareVersions))
                .map(i -> i.version() + " (" + shown(i.dir()) + ")");
    }

    /** "0.42.1" against "0.9.0", numerically part by part; pre-release suffixes compare as text. */
    static int compareVersions(String a, String b) {
        String[] x = a.split("[.-]");
        String[] y = b.split("[.-]");
        for (int i = 0; i < Math.min(x.length, y.length); i++) {
            int c = x[i].matches("\\d+") && y[i].matches("\\d+")
                    ? Long.compare(Long.parseLong(x[i]), Long.parseLong(y[i])) : x[i].compareTo(y[i]);
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(x.length, y.length);
    }

    /** A path under the home directory written with ~, as the user would write it. */
    String shown(Path p) {
        return p.startsWith(environment.home()) ? "~/" + environment.home().relativize(p) : p.toString();
    }

    /** The two settings the extension reads to find dlv, from one settings file; both null when it has neither. */
    private record Settings(Path file, String alternateDlv, String toolsGopath) {
        static Settings read(Path file, List<String> looked) {
            JsonNode root;
            try {
                root = JSONC.readTree(Files.readString(file, StandardCharsets.UTF_8));
            } catch (NoSuchFileException e) {
                looked.add("vscode-settings: " + file + " (missing)");
                return new Settings(file, null, null);
            } catch (IOException e) {
                looked.add("vscode-settings: " + file + " (not read: " + e.getMessage().lines().findFirst().orElse("") + ")");
                return new Settings(file, null, null);
            }
            JsonNode dlv = root.path("go.alternateTools").path("dlv");
            JsonNode gopath = root.path("go.toolsGopath");
            Settings s = new Settings(file, dlv.isTextual() && !dlv.asText().isBlank() ? dlv.asText() : null,
                    gopath.isTextual() && !gopath.asText().isBlank() ? gopath.asText() : null);
            if (s.alternateDlv() == null && s.toolsGopath() == null) {
                looked.add("vscode-settings: " + file + " (neither go.alternateTools.dlv nor go.toolsGopath)");
            }
            return s;
        }
    }

    /** `go env GOPATH` of the go at {@code go}, within 5 s; empty when it does not answer. */
    private static Optional<String> goEnvGopath(Path go) {
        try {
            Programs.Ran r = Programs.run(Duration.ofSeconds(5), go.toString(), "env", "GOPATH");
            return r.ok() && !r.output().isBlank() ? Optional.of(r.output().strip()) : Optional.empty();
        } catch (Programs.NotRun e) {
            return Optional.empty();
        }
    }
}
