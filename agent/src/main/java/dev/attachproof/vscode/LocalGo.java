package dev.attachproof.vscode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

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
        try {
            Process p = new ProcessBuilder("go", "env", "GOROOT", "GOVERSION", "GOMODCACHE")
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            p.getOutputStream().close();
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return NONE;
            }
            List<String> lines = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
            if (p.exitValue() != 0 || lines.size() != 3 || lines.stream().anyMatch(String::isBlank)) {
                return NONE;
            }
            return new LocalGo(Path.of(lines.get(0)), lines.get(1), Path.of(lines.get(2)));
        } catch (IOException e) {
            return NONE;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
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
