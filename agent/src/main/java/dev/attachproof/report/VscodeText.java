package dev.attachproof.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import dev.attachproof.delve.DelveBinary;
import dev.attachproof.delve.DelveLocator;
import dev.attachproof.diagnose.Finding;
import dev.attachproof.vscode.LaunchAdvice;

/**
 * {@code vscode} as text: JSON with comments, which launch.json accepts, so the whole output can
 * be pasted. The comments say which attach and why, the commands that start a remote Delve, and
 * what the doctor found; the object is the configuration itself. No colour: it is meant to be copied.
 */
public final class VscodeText {
    /** As VS Code writes launch.json: "key": value, arrays broken one element a line. */
    private static final ObjectWriter JSON = new ObjectMapper().writer(new DefaultPrettyPrinter(Separators.createDefaultInstance()
            .withObjectFieldValueSpacing(Separators.Spacing.AFTER).withArrayEmptySeparator("")
            .withObjectEmptySeparator("")).withArrayIndenter(new DefaultIndenter("  ", "\n")));

    private static final java.util.Map<String, String> WHOSE = java.util.Map.of("module", "of the program's own",
            "dependencies", "dependencies'", "dependency", "dependency", "goroot", "standard library");

    private VscodeText() {}

    public static String write(LaunchAdvice a, DelveBinary dlv, DelveLocator.Search search) {
        StringBuilder sb = new StringBuilder();
        comment(sb, "attachproof vscode " + a.pid() + ": a " + a.mode() + " attach" + (a.works() ? "" : " that will NOT work yet"));
        comment(sb, a.reason());
        if (search.found() != null) {
            comment(sb, "Delve: " + search.found().path() + (dlv == null ? "" : " " + dlv.version()) + " (from " + search.found().foundIn() + ")");
        } else {
            comment(sb, "Delve: none found where VS Code's Go extension looks (" + String.join("; ", search.looked()) + ")");
        }
        for (Finding f : a.checks()) {
            comment(sb, f.status().word() + " " + f.id() + ": " + f.summary());
            if (f.remedy() != null) {
                comment(sb, "  remedy: " + f.remedy());
            }
        }
        if (!a.sources().rules().isEmpty()) {
            comment(sb, "substitutePath: the binary was built from other paths than this machine's: "
                    + a.sources().rules().size() + (a.sources().rules().size() == 1 ? " rule" : " rules") + " ("
                    + String.join(", ", a.sources().rules().stream().map(r -> r.files() + " " + WHOSE.get(r.kind()) + " files").toList())
                    + ")");
        }
        for (String n : a.sources().notes()) {
            comment(sb, n);
        }
        if (a.start() != null) {
            comment(sb, "1. Start Delve beside the target:");
            for (String c : a.start().commands()) {
                comment(sb, "     " + c);
            }
            for (String n : a.start().notes()) {
                comment(sb, "   " + n);
            }
            comment(sb, "2. Then start this configuration (in .vscode/launch.json, \"configurations\"):");
        } else {
            comment(sb, "Paste into .vscode/launch.json, \"configurations\":");
        }
        try {
            sb.append(JSON.writeValueAsString(a.configuration())).append('\n');
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        return sb.toString();
    }

    private static void comment(StringBuilder sb, String line) {
        sb.append("// ").append(Style.escape(line)).append('\n');
    }
}
