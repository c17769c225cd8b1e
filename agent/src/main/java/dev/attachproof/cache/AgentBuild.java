package dev.attachproof.cache;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.CodeSource;
import java.util.Optional;

/**
 * Which build of attachproof runs: what another build derived from a binary may differ (a
 * corrected layout table, a changed reader), so a cache file names the build that wrote it. A
 * jar is named by its size and modification time, read once; classes run from a directory (the
 * tests, an IDE) by the directory alone, where BinaryFindingsCodec.VERSION must tell changes.
 */
final class AgentBuild {
    private static final Optional<String> IDENTITY = read();

    private AgentBuild() {}

    /** Empty when the code's source cannot be told: then no cache, rather than one any build would take. */
    static Optional<String> identity() {
        return IDENTITY;
    }

    private static Optional<String> read() {
        CodeSource source = AgentBuild.class.getProtectionDomain().getCodeSource();
        if (source == null) {
            return Optional.empty();
        }
        try {
            Path where = Path.of(source.getLocation().toURI());
            BasicFileAttributes a = Files.readAttributes(where, BasicFileAttributes.class);
            return Optional.of(a.isDirectory() ? "classes " + where
                    : "jar " + a.size() + " " + a.lastModifiedTime().toInstant());
        } catch (IOException | URISyntaxException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
