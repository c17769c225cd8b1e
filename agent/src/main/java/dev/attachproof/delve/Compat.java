package dev.attachproof.delve;

import java.util.ArrayList;
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

    /**
     * The verdict for a target built by {@code targetGo} whose DWARF is version {@code
     * dwarfVersion} (0: none or unknown), in the order Delve's goversion.Compatible checks: the
     * supported range, then (from Delve 1.24.2) whether this Delve was built by a Go recent enough
     * for DWARF 5. The range comes from the dlv binary's own symbols when it has them, else from
     * the table row of its version.
     */
    public static Compat evaluate(String targetGo, int dwarfVersion, DelveBinary.Result delve, DelveTable table,
                                  String goToolchain) {
        String delveVersion = delve.delve() == null ? null : delve.delve().version();
        List<String> notes = new ArrayList<>();
        if (delve.problem() != null) {
            notes.add(delve.problem());
        }
        GoVersion go = GoVersion.parse(targetGo).orElse(null);
        if (go == null) {
            notes.add("a development build of Go: Delve does not check its version");
            return new Compat(targetGo, delveVersion, true, null, null, goToolchain, null, List.copyOf(notes));
        }
        String releases = supportingReleases(go, table);
        if (delveVersion == null) {
            return new Compat(targetGo, null, null, null, null, goToolchain, releases, List.copyOf(notes));
        }
        DelveRelease row = table.release(delveVersion).orElse(null);
        String[] fromSymbols = delve.delve().symbolRange();
        DelveRelease release = row;
        if (fromSymbols != null) {
            release = withRange(row != null ? row : table.releases().getLast(), "v" + delveVersion, fromSymbols);
            notes.add("Delve " + delveVersion + " supports Go " + fromSymbols[0] + " to " + fromSymbols[1]
                    + " (its goversion.Min/MaxSupportedVersionOfGo* variables, read from the dlv binary)");
            if (row != null && (!row.min().equals(fromSymbols[0]) || !row.max().equals(fromSymbols[1]))) {
                notes.add("the binary's range differs from pkg/goversion/compat.go at " + row.tag() + " (" + row.min()
                        + " to " + row.max() + "): it was built from modified sources; the binary's range is used");
            }
        } else if (row != null) {
            notes.add("Delve " + delveVersion + " supports Go " + row.min() + " to " + row.max()
                    + " (pkg/goversion/compat.go at " + row.tag() + ", " + row.commit().substring(0, 12) + ")");
        } else {
            notes.add("Delve " + delveVersion + " is not in attachproof's table (which ends at "
                    + table.releases().getLast().tag() + ") and its binary carries no symbols: its supported range is unknown here");
            return new Compat(targetGo, delveVersion, null, null, null, goToolchain, releases, List.copyOf(notes));
        }
        notes.add("Delve checks this when it launches a program or opens a core, not when it attaches: "
                + "an unsupported Delve attaches and then misbehaves");
        String error = release.errorFor(go);
        String remedy = error == null ? null : releases;
        if (error == null) {
            GoVersion builtWith = delve.delve().builtWith() == null ? null : GoVersion.parse(delve.delve().builtWith()).orElse(null);
            DelveRelease checks = row != null ? row : release;
            error = checks.dwarfErrorFor(dwarfVersion, builtWith);
            if (error != null) {
                remedy = "rebuild Delve " + delveVersion + " with Go " + checks.dwarf5BuildGo() + " or later (it was built with "
                        + delve.delve().builtWith() + "): GOTOOLCHAIN=go" + checks.dwarf5BuildGo()
                        + ".0 go install github.com/go-delve/delve/cmd/dlv@v" + delveVersion;
                notes.add("the target's DWARF is version " + dwarfVersion);
            }
        }
        return new Compat(targetGo, delveVersion, error == null, new String[] {release.min(), release.max()}, error,
                goToolchain, remedy, List.copyOf(notes));
    }

    /** {@code template}'s messages and DWARF rule with another range (from a binary's symbols). */
    private static DelveRelease withRange(DelveRelease template, String tag, String[] range) {
        return new DelveRelease(tag, template.commit(), range[0], range[1],
                template.tooOldError().replace("version " + template.min(), "version " + range[0]),
                template.tooNewError().replace("version " + template.max(), "version " + range[1]),
                template.dwarf5BuildGo(), template.dwarf5Error());
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
