package dev.attachproof.vscode;

import dev.attachproof.host.Programs;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The Go of the editor's side: where its standard library and module cache are, which is where
 * VS Code opens the sources of a frame in {@code runtime} or in a dependency. A Go release other
 * than the target's has other sources; the toolchains {@code GOTOOLCHAIN} downloads sit in the
 * module cache as {@code golang.org/toolchain@v0.0.1-go1.N.P.linux-ARCH}, each a GOROOT.
 *
 * @param goroot    {@code go env GOROOT}; null when no go answers
 * @param goVersion {@code go env GOVERSION} ("go1.26.8"); null when no go answers
 * @param modcache  {@code go env GOMODCACHE}; null when no go answers
 */
public record LocalGo(Path goroot, String goVersion, Path modcache) {

    public static final LocalGo NONE = new LocalGo(null, null, null);

    /** {@code go env GOROOT GOVERSION GOMODCACHE} of the go on PATH, within 5 s; {@link #NONE} when it does not answer. */
    public static LocalGo live() {
        Path go = Programs.onPath("go");
        if (go == null) {
            return NONE;
        }
        try {
            Programs.Ran r = Programs.run(Duration.ofSeconds(5), go.toString(), "env", "GOROOT", "GOVERSION", "GOMODCACHE");
            List<String> lines = r.output().lines().toList();
            if (!r.ok() || lines.size() != 3 || lines.stream().anyMatch(String::isBlank)) {
                return NONE;
            }
            return new LocalGo(Path.of(lines.get(0)), lines.get(1), Path.of(lines.get(2)));
        } catch (Programs.NotRun e) {
            return NONE;
        }
    }

    /**
     * A GOROOT of exactly {@code goVersion} ("go1.22.0") on this machine: the go on PATH when it
     * is that release, else the toolchain GOTOOLCHAIN keeps in the module cache; empty when none.
     */
    public Optional<Path> gorootOf(String goVersion, String arch) {
        if (goVersion == null) {
            return Optional.empty();
        }
        if (goroot != null && goVersion.equals(this.goVersion)) {
            return Optional.of(goroot);
        }
        if (modcache != null) {
            Path toolchain = modcache.resolve("golang.org").resolve("toolchain@v0.0.1-" + goVersion + ".linux-" + arch);
            if (Files.isRegularFile(toolchain.resolve("src/runtime/proc.go"))) {
                return Optional.of(toolchain);
            }
        }
        return Optional.empty();
    }
}
