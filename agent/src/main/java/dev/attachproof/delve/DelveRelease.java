package dev.attachproof.delve;

/**
 * One Delve release and the Go versions it supports, as its pkg/goversion/compat.go says:
 * minimum and maximum "major.minor", and the errors it prints outside that range, with %s where
 * the Go version goes; and, from v1.24.2 on, the Go release Delve must be built with to read DWARF
 * 5 ({@code dwarf5BuildGo}, "" when the release does not check) with the error it prints.
 */
public record DelveRelease(String tag, String commit, String min, String max, String tooOldError, String tooNewError,
                           String dwarf5BuildGo, String dwarf5Error) {

    /** "1.20.2" for tag "v1.20.2". */
    public String version() {
        return tag.substring(1);
    }

    public boolean supports(GoVersion go) {
        return go.compareMinor(part(min, 0), part(min, 1)) >= 0 && go.compareMinor(part(max, 0), part(max, 1)) <= 0;
    }

    /** The error Delve prints for {@code go} when it checks (launch, core), or null when supported. */
    public String errorFor(GoVersion go) {
        if (go.compareMinor(part(min, 0), part(min, 1)) < 0) {
            return tooOldError.replace("%s", go.numbers());
        }
        if (go.compareMinor(part(max, 0), part(max, 1)) > 0) {
            return tooNewError.replace("%s", go.numbers());
        }
        return null;
    }

    /**
     * The DWARF error Delve prints for a target whose DWARF is {@code dwarfVersion}, when this
     * Delve was built by {@code builtWith} ("go1.24.0"); null when there is none.
     */
    public String dwarfErrorFor(int dwarfVersion, GoVersion builtWith) {
        if (dwarfVersion < 5 || dwarf5BuildGo.isEmpty() || builtWith == null) {
            return null;
        }
        return builtWith.compareMinor(part(dwarf5BuildGo, 0), part(dwarf5BuildGo, 1)) < 0 ? dwarf5Error : null;
    }

    private static int part(String majorMinor, int i) {
        return Integer.parseInt(majorMinor.split("\\.")[i]);
    }
}
