package dev.attachproof.report;

import dev.attachproof.delve.Compat;
import dev.attachproof.delve.DelveLocator;

import java.util.List;

/** {@code compat --json}: schema attachproof.compat/v1. */
public final class CompatJson {
    private CompatJson() {}

    /**
     * What else the target binary says: its main package and module, arch, whether it has DWARF
     * and its version (0: none), which runtime layout describes it ("dwarf", "table go1.22-amd64", "none") and where
     * its DWARF and the table disagree (or why there is no layout).
     */
    public record Target(String path, String mainModule, String arch, boolean debugInfo, int dwarfVersion, String layout, List<String> layoutNotes) {}

    /** The document, written by {@link JsonDocuments} (the order of its components is the document's). */
    record Document(String schema, String goVersion, String path, String mainModule, String arch, int dwarfVersion, boolean debugInfo,
                    String layout, List<String> layoutNotes, String delveVersion, String dlv, String foundIn, List<String> lookedIn,
                    String goExtension, Boolean supported, Range delveRange, String delveError, String goToolchain, String remedy,
                    List<String> notes) {}

    /** The Go releases the named Delve supports. */
    record Range(String min, String max) {}

    /** {@code delve}: the Delve named or found (its path and where: {@code dlv}, {@code foundIn}), and the Go extension's version. */
    public static String write(Compat c, Target t, DelveLocator.Search delve) {
        DelveLocator.Found found = delve.found();
        return JsonDocuments.write(new Document("attachproof.compat/v1", c.goVersion(), t.path(), t.mainModule(), t.arch(),
                t.dwarfVersion(), t.debugInfo(), t.layout(), List.copyOf(t.layoutNotes()), c.delveVersion(),
                found == null ? null : found.path().toString(), found == null ? null : found.foundIn(), List.copyOf(delve.looked()),
                delve.goExtension(), c.supported(), c.delveRange() == null ? null : new Range(c.delveRange()[0], c.delveRange()[1]),
                c.delveError(), c.goToolchain(), c.remedy(), List.copyOf(c.notes())));
    }

    public static String text(Compat c, Target t, DelveLocator.Search delve, Style style) {
        StringBuilder sb = new StringBuilder();
        String verdict = c.supported() == null ? style.bold("unknown")
                : c.supported() ? style.green("supported")
                : !c.debugInfo() ? style.red("NOT debuggable by any Delve (no DWARF)") : style.red("NOT supported");
        sb.append("target Go: ").append(Style.escape(c.goVersion())).append(" (").append(Style.escape(t.path()))
                .append(t.mainModule().isEmpty() ? "" : ", module " + Style.escape(t.mainModule())).append(", ").append(t.arch())
                .append(!t.debugInfo() ? ", no DWARF" : ", DWARF " + t.dwarfVersion()).append(")\n");
        sb.append("layout:    ").append(t.layout() == null ? "unknown" : Style.escape(t.layout())).append('\n');
        for (String n : t.layoutNotes()) {
            sb.append(style.dim("  " + Style.escape(n))).append('\n');
        }
        sb.append("Delve:     ").append(c.delveVersion() == null ? "none named (--dlv PATH) or found" : Style.escape(c.delveVersion()));
        if (c.delveRange() != null) {
            sb.append(" (supports Go ").append(Style.escape(c.delveRange()[0])).append(" to ").append(Style.escape(c.delveRange()[1])).append(')');
        }
        sb.append('\n');
        if (delve.found() != null) {
            sb.append(style.dim("  " + Style.escape(delve.found().path().toString()) + ", from " + Style.escape(delve.found().foundIn()))).append('\n');
        }
        if (delve.goExtension() != null) {
            sb.append("VS Code Go: ").append(Style.escape(delve.goExtension())).append('\n');
        }
        sb.append("local go:  ").append(c.goToolchain() == null ? "none on PATH" : Style.escape(c.goToolchain())).append('\n');
        sb.append("verdict:   ").append(verdict).append('\n');
        if (c.delveError() != null) {
            sb.append("Delve says: ").append(Style.escape(c.delveError())).append('\n');
        }
        if (c.remedy() != null) {
            sb.append(style.dim("→ " + Style.escape(c.remedy()))).append('\n');
        }
        for (String n : c.notes()) {
            sb.append(style.dim("  " + Style.escape(n))).append('\n');
        }
        return sb.toString();
    }
}
