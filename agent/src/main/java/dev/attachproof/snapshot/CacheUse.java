package dev.attachproof.snapshot;

import com.fasterxml.jackson.annotation.JsonValue;

/** Whether what a snapshot needed of its binary came from the cache of binary findings. */
public enum CacheUse {
    /** Taken from the cache: the binary's DWARF and tables were not scanned again. */
    HIT,
    /** Found in the binary, and stored in the cache for the next snapshot of it. */
    MISS,
    /**
     * Found in the binary, nothing stored: no cache directory, or one that cannot be written (a
     * read-only container), a binary with no build id, or a replay of a capture.
     */
    OFF;

    /** As the JSON and --timing say it: "hit", "miss", "off". */
    @JsonValue
    public String word() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
