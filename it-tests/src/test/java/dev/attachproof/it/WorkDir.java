package dev.attachproof.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Directories under target/ that a build step fills from scratch. */
final class WorkDir {
    private WorkDir() {}

    /** {@code dir} deleted with everything in it, when it exists. */
    static void delete(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> tree = Files.walk(dir)) {
            for (Path p : tree.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /** {@code dir}, empty. */
    static Path fresh(Path dir) throws IOException {
        delete(dir);
        return Files.createDirectories(dir);
    }
}
