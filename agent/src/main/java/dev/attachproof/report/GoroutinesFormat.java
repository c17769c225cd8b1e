package dev.attachproof.report;

import dev.attachproof.diagnose.ContainerTarget;
import dev.attachproof.snapshot.GoroutineSnapshot;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.Optional;

/**
 * The formats of a goroutine snapshot, by the name {@code --format} and {@code ?format=} take,
 * each with the media type the sidecar serves it as. pprof is served as Go's net/http/pprof
 * serves its profiles: application/octet-stream (the body is a gzipped profile.proto, not a
 * Content-Encoding), so {@code go tool pprof URL} reads it as it reads Go's own endpoint.
 */
public enum GoroutinesFormat {
    TEXT("text", "text/plain; charset=utf-8"),
    JSON("json", "application/json"),
    PPROF("pprof", "application/octet-stream");

    private final String formatName;
    private final String mediaType;

    GoroutinesFormat(String formatName, String mediaType) {
        this.formatName = formatName;
        this.mediaType = mediaType;
    }

    /** The format named {@code name} ("text", "json", "pprof"), or empty. */
    public static Optional<GoroutinesFormat> named(String name) {
        return Arrays.stream(values()).filter(f -> f.formatName.equals(name)).findFirst();
    }

    public String formatName() {
        return formatName;
    }

    public String mediaType() {
        return mediaType;
    }

    /**
     * Writes {@code s}. {@code system} (Go's GOTRACEBACK=system) and {@code group} (equal stacks
     * as one entry) shape the text only.
     */
    public void write(GoroutineSnapshot s, boolean system, boolean group, OutputStream out) throws IOException {
        write(s, system, group, false, null, out);
    }

    /**
     * As {@link #write(GoroutineSnapshot, boolean, boolean, OutputStream)}; {@code terminal}: the
     * text goes to a terminal, so the target's names in it are escaped ({@link Style#escape}).
     * JSON escapes every control itself, and a profile is not for a terminal. {@code container}:
     * how a container's id chose the target (null when a pid was given), in the JSON's
     * {@code "container"}.
     */
    public void write(GoroutineSnapshot s, boolean system, boolean group, boolean terminal, ContainerTarget container,
                      OutputStream out) throws IOException {
        switch (this) {
            case JSON -> GoroutinesJson.write(s, container, out);
            case PPROF -> GoroutinesPprof.write(s, out);
            case TEXT -> {
                if (group) {
                    GoroutinesGrouped.write(s, system, terminal, out);
                } else {
                    GoroutinesText.write(s, system, terminal, out);
                }
            }
        }
    }
}
