package dev.attachproof.delve;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Go release version as build info and runtime.Version() print it: "go1.22.5", "go1.23rc1",
 * "go1.21" (a .0 before Go 1.21 dropped it). Development builds ("devel go1.24-abcdef …") have no
 * release number: Delve accepts them without checking, and so do we.
 */
public record GoVersion(int major, int minor, int patch, String text) {
    private static final Pattern RELEASE = Pattern.compile("^go(\\d+)\\.(\\d+)(?:\\.(\\d+))?");

    public static Optional<GoVersion> parse(String text) {
        Matcher m = RELEASE.matcher(text.strip());
        if (!m.find()) {
            return Optional.empty();
        }
        return Optional.of(new GoVersion(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)),
                m.group(3) == null ? 0 : Integer.parseInt(m.group(3)), text.strip()));
    }

    /** "1.22" */
    public String majorMinor() {
        return major + "." + minor;
    }

    /** "1.22.5", the form Delve's messages print. */
    public String numbers() {
        return major + "." + minor + "." + patch;
    }

    int compareMinor(int otherMajor, int otherMinor) {
        return major != otherMajor ? Integer.compare(major, otherMajor) : Integer.compare(minor, otherMinor);
    }
}
