package dev.attachproof.delve;

import java.util.List;

/**
 * Does this Delve support this Go? The answer Delve itself would give when it checks (launching
 * or opening a core), said also for attach, where Delve does not check and an unsupported
 * version attaches and then misbehaves.
 *
 * @param supported   null when unknown (no Delve named, or one newer than the table)
 * @param delveRange  the named Delve's "min".."max" Go, or null
 * @param delveError  the error Delve prints when it checks, or null
 * @param remedy      which Delve releases support the target, or null when nothing is needed
 */
public record Compat(String goVersion, String delveVersion, Boolean supported, String[] delveRange,
                     String delveError, String goToolchain, String remedy, List<String> notes) {

    public static Compat evaluate(String targetGo, DelveBinary.Result delve, DelveTable table, String goToolchain) {
        String delveVersion = delve.delve() == null ? null : delve.delve().version();
        List<String> notes = delve.problem() == null ? List.of() : List.of(delve.problem());
        GoVersion go = GoVersion.parse(targetGo).orElse(null);
        if (go == null) {
            return new Compat(targetGo, delveVersion, true, null, null, goToolchain, null,
                    List.of("a development build of Go: Delve does not check its version"));
        }
        String releases = supportingReleases(go, table);
        if (delveVersion == null) {
            return new Compat(targetGo, null, null, null, null, goToolchain, releases, notes);
        }
        DelveRelease release = table.release(delveVersion).orElse(null);
        if (release == null) {
            return new Compat(targetGo, delveVersion, null, null, null, goToolchain, releases,
                    List.of("Delve " + delveVersion + " is not in attachproof's table (which ends at "
                            + table.releases().getLast().tag() + "): its supported range is unknown here"));
        }
        String error = release.errorFor(go);
        return new Compat(targetGo, delveVersion, error == null, new String[] {release.min(), release.max()}, error,
                goToolchain, error == null ? null : releases, List.of(
                        "Delve " + delveVersion + " supports Go " + release.min() + " to " + release.max()
                                + " (pkg/goversion/compat.go at " + release.tag() + ", " + release.commit().substring(0, 12) + ")",
                        "Delve checks this when it launches a program or opens a core, not when it attaches: "
                                + "an unsupported Delve attaches and then misbehaves"));
    }

    private static String supportingReleases(GoVersion go, DelveTable table) {
        List<DelveRelease> ok = table.supporting(go);
        if (ok.isEmpty()) {
            DelveRelease last = table.releases().getLast();
            return "no Delve release up to " + last.tag() + " (the newest attachproof knows) supports Go " + go.majorMinor()
                    + ": try the newest Delve (go install github.com/go-delve/delve/cmd/dlv@latest)";
        }
        DelveRelease newest = ok.getLast();
        return "Delve " + ok.getFirst().tag() + (ok.size() > 1 ? " to " + newest.tag() : "") + " support" + (ok.size() > 1 ? "" : "s")
                + " Go " + go.majorMinor() + ": go install github.com/go-delve/delve/cmd/dlv@" + newest.tag();
    }
}
