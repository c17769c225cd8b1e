package dev.attachproof.report;

import dev.attachproof.delve.Compat;
import dev.attachproof.delve.DelveLocator;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code compat --json}: schema attachproof.compat/v1. */
public final class CompatJson {
    private CompatJson() {}

    /**
     * What else the target binary says: its main package and module, arch, whether it has DWARF
     * and its version (0: none), which runtime layout describes it ("dwarf", "table go1.22-amd64", "none") and where
     * its DWARF and the table disagree (or why there is no layout).
     */
    public record Target(String path, String mainModule, String arch, boolean debugInfo, int dwarfVersion, String layout, List<String> layoutNotes) {}

    /** {@code delve}: the Delve named or found (its path and where: {@code dlv}, {@code foundIn}), and the Go extension's version. */
    public static String write(Compat c, Target t, DelveLocator.Search delve) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("schema", "attachproof.compat/v1");
        root.put("goVersion", c.goVersion());
        root.put("path", t.path());
        root.put("mainModule", t.mainModule());
        root.put("arch", t.arch());
        root.put("dwarfVersion", t.dwarfVersion());
        root.put("debugInfo", t.debugInfo());
        root.put("layout", t.layout());
        root.put("layoutNotes", List.copyOf(t.layoutNotes()));
        root.put("delveVersion", c.delveVersion());
        root.put("dlv", delve.found() == null ? null : delve.found().path().toString());
        root.put("foundIn", delve.found() == null ? null : delve.found().foundIn());
        root.put("lookedIn", List.copyOf(delve.looked()));
        root.put("goExtension", delve.goExtension());
        root.put("supported", c.supported());
        if (c.delveRange() == null) {
            root.put("delveRange", null);
        } else {
            Map<String, Object> range = new LinkedHashMap<>();
            range.put("min", c.delveRange()[0]);
            range.put("max", c.delveRange()[1]);
            root.put("delveRange", range);
        }
        root.put("delveError", c.delveError());
        root.put("goToolchain", c.goToolchain());
        root.put("remedy", c.remedy());
        root.put("notes", List.copyOf(c.notes()));
        return Json.write(root);
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
