package dev.attachproof.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Documents as the tool printed them when the golden file was committed: a writer that changes
 * one byte of a stable document fails here. The goldens are (re)written only when asked,
 * {@code -Dattachproof.goldens.write=true}, and the diff is then reviewed like code.
 */
public final class Goldens {
    public static final Path DIR = GoFixture.repo().resolve("agent/src/test/resources/dev/attachproof/report/documents");
    private static final boolean WRITE = Boolean.getBoolean("attachproof.goldens.write");

    private Goldens() {}

    /** {@code actual} is byte for byte {@code DIR/name}. */
    public static void assertMatches(String name, String actual) {
        Path file = DIR.resolve(name);
        try {
            if (WRITE) {
                Files.createDirectories(DIR);
                Files.writeString(file, actual, StandardCharsets.UTF_8);
            }
            assertTrue(Files.isRegularFile(file), file + " is missing: write it with -Dattachproof.goldens.write=true");
            assertEquals(Files.readString(file, StandardCharsets.UTF_8), actual, name);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
