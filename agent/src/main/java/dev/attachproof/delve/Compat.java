package dev.attachproof.delve;

import java.util.ArrayList;
import java.util.List;

/**
 * Does this Delve support this Go? The answer Delve itself would give when it checks (launching
 * or opening a core), said also for attach, where Delve does not check and an unsupported
 * version attaches and then misbehaves.
 *
 * @param supported   null when unknown (no Delve named, or one newer than the table); false for a
 *                    binary without DWARF, which no Delve can debug
 * @param delveRange  the named Delve's "min".."max" Go, or null
 * @param delveError  the error Delve prints when it checks, or null
 * @param remedy      which Delve releases support the target, or null when nothing is needed
 * @param debugInfo   whether the binary has DWARF; without it every Delve stops at "could not open debug info"
 */
public record Compat(String goVersion, String delveVersion, Boolean supported, String[] delveRange,
                     String delveError, String goToolchain, String remedy, List<String> notes, boolean debugInfo) {

    /**
     * What every Delve says, launching or attaching, to a binary without DWARF: its binary reader
     * fails with "could not open debug info", and service/debugger/debugger.go
     * (noDebugErrorWarning) appends NoDebugWarning. Checked against Delve 1.20's `dlv exec` and
     * `dlv attach` in the tests.
     */
    public static final String NO_DEBUG_INFO = "could not open debug info - debuggee must not be built with 'go run' "
            + "or -ldflags='-s -w', which strip debug info";
    static final String NO_DEBUG_INFO_REMEDY = "no Delve release can debug this binary, whatever Go it supports: rebuild it "
            + "without -ldflags='-s -w' (go build -gcflags=all=\"-N -l\" for a full session), or keep an unstripped "
            + "copy of the same build and debug a core dump with it (dlv core COPY CORE)";

    /**
     * The verdict for a target built by {@code targetGo} whose DWARF ({@code debugInfo}: whether
     * it has any) is version {@code dwarfVersion} (0: none or unknown). Without DWARF the answer
     * is no, whichever Delve: Delve cannot open the binary at all. Otherwise, in the order Delve's goversion.Compatible checks: the
     * supported range, then (from Delve 1.24.2) whether this Delve was built by a Go recent enough
     * for DWARF 5. The range comes from the dlv binary's own symbols when it has them, else from
     * the table row of its version.
     */
    public static Compat evaluate(String targetGo, boolean debugInfo, int dwarfVersion, DelveBinary.Result delve,
                                  DelveTable table, String goToolchain) {
        Compat c = evaluateVersions(targetGo, dwarfVersion, delve, table, goToolchain);
        if (debugInfo) {
            return c;
        }
        List<String> notes = new ArrayList<>(c.notes());
        if (c.delveError() != null) {
            notes.add("with DWARF, Delve " + c.delveVersion() + " would still refuse it: " + c.delveError());
        }
        notes.add("no DWARF (built with -ldflags='-s -w', or stripped): Delve launches nothing and attaches to nothing "
                + "without it; attachproof's doctor and goroutines still read it (pclntab survives stripping)");
        return new Compat(c.goVersion(), c.delveVersion(), false, c.delveRange(), NO_DEBUG_INFO, c.goToolchain(),
                NO_DEBUG_INFO_REMEDY, List.copyOf(notes), false);
    }

    /** The version rules alone, for a binary with DWARF. */
    private static Compat evaluateVersions(String targetGo, int dwarfVersion, DelveBinary.Result delve, DelveTable table,
                                           String goToolchain) {
        String delveVersion = delve.delve() == null ? null : delve.delve().version();
        List<String> notes = new ArrayList<>();
        if (delve.problem() != null) {
            notes.add(delve.problem());
        }
        GoVersion go = GoVersion.parse(targetGo).orElse(null);
        if (go == null) {
            notes.add("a development build of Go: Delve does not check its version");
            return new Compat(targetGo, delveVersion, true, null, null, goToolchain, null, List.copyOf(notes), true);
        }
        String releases = supportingReleases(go, table);
        if (delveVersion == null) {
            return new Compat(targetGo, null, null, null, null, goToolchain, releases, List.copyOf(notes), true);
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
            return new Compat(targetGo, delveVersion, null, null, null, goToolchain, releases, List.copyOf(notes), true);
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
                goToolchain, remedy, List.copyOf(notes), true);
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
