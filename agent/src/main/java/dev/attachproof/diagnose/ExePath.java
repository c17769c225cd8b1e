package dev.attachproof.diagnose;

/**
 * What the path of the target's executable names now, compared by inode and device with the file
 * the process runs ({@code /proc/PID/exe}): in the mount namespace the path belongs to, and in ours.
 * Each is "same", "replaced" (another file at that path, e.g. after a deploy), "missing",
 * "deleted", or "unknown" (a recorded tree, or a namespace we may not enter).
 *
 * @param inTarget  the path in the target's own mount namespace, as {@code readFrom} reaches it
 * @param readFrom  where {@code inTarget} was looked up: "/proc/PID/root" (the target's root, when
 *                  its mount namespace is not ours) or "/" (ours is its); null when unknown
 * @param here      the same path in our mount namespace (what a tool run here that opens the path gets)
 */
public record ExePath(String inTarget, String readFrom, String here) {
    public static final ExePath UNKNOWN = new ExePath("unknown", null, "unknown");
    public static final ExePath DELETED = new ExePath("deleted", null, "deleted");

    /** Whether the target runs in a mount namespace of its own (its path was looked up under /proc/PID/root). */
    public boolean otherNamespace() {
        return readFrom != null && !readFrom.equals("/");
    }
}
