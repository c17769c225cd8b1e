package dev.attachproof.procfs;

import java.util.Optional;

/** What reading one file of /proc or /sys gave: its text, nothing there, or a refusal and why. */
public sealed interface FileRead {
    /** The path relative to the root, e.g. "proc/42/status": what evidence names. */
    String path();

    record Content(String path, String text) implements FileRead {}

    record Missing(String path) implements FileRead {}

    /** The file exists but could not be read: {@code reason} is the errno name when known. */
    record Unreadable(String path, String reason) implements FileRead {}

    default Optional<String> asText() {
        return this instanceof Content c ? Optional.of(c.text()) : Optional.empty();
    }
}
