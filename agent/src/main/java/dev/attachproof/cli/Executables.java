package dev.attachproof.cli;

import java.nio.file.Files;
import java.nio.file.Path;

/** The programs the commands run or name (dlv, go, unshare), found as a shell would find them. */
final class Executables {
    private Executables() {}

    /** {@code name} in the first directory of PATH that holds it executable; null when none does. */
    static Path onPath(String name) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            Path p = Path.of(dir, name);
            if (!dir.isEmpty() && Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }
}
