package dev.attachproof.testing;

import com.fasterxml.jackson.databind.JsonNode;
import dev.attachproof.linux.LinuxConstants;
import dev.attachproof.matrix.Setting;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * `attachproof matrix PID --json` as the tests read it, and what the kernel's rules say its rows
 * must be. Used on the host (MatrixTest) and on a matrix a VM printed (it-tests, from this
 * module's test jar).
 */
public final class MatrixRows {
    private MatrixRows() {}

    /** The rows of a matrix document (schema attachproof.matrix/v1) by setting, in order. */
    public static Map<String, JsonNode> of(JsonNode matrix) {
        assertEquals("attachproof.matrix/v1", matrix.path("schema").asText(), matrix::toString);
        Map<String, JsonNode> rows = new LinkedHashMap<>();
        matrix.path("rows").forEach(n -> rows.put(n.get("setting").asText(), n));
        return rows;
    }

    /**
     * The rows but Yama's, for a root target and a matrix run as root: each restriction is the
     * kernel's reason to refuse, or no reason.
     */
    public static void assertRootTargetRows(Map<String, JsonNode> rows) {
        assertEquals(Setting.ids(), List.copyOf(rows.keySet()), "a row per setting, in order");
        assertRow(rows, "baseline", "ok", List.of());
        // The target holds every capability; without CAP_SYS_PTRACE ours are not a superset (commoncap).
        assertRow(rows, "drop-cap-sys-ptrace", "EPERM", List.of("capability.sys_ptrace"));
        assertRow(rows, "drop-cap-sys-ptrace+other-uid", "EPERM", List.of("credentials.uid"));
        // --user with --cap-add SYS_PTRACE: the capability in the bounding set only, as the evidence shows.
        assertRow(rows, "other-uid+bounding-only", "EPERM", List.of("credentials.uid"));
        String evidence = rows.get("other-uid+bounding-only").get("evidence").asText();
        Matcher sets = Pattern.compile("Uid 65534, Gid 65534, CapEff (\\p{XDigit}{16}), CapBnd (\\p{XDigit}{16})").matcher(evidence);
        assertTrue(sets.find(), evidence);
        assertEquals(0L, Long.parseUnsignedLong(sets.group(1), 16), "nothing effective: " + evidence);
        assertTrue((Long.parseUnsignedLong(sets.group(2), 16) & (1L << LinuxConstants.CAP_SYS_PTRACE)) != 0,
                "CAP_SYS_PTRACE in the bounding set: " + evidence);
        assertRow(rows, "no-new-privs", "ok", List.of());
        assertRow(rows, "seccomp-deny-ptrace", "EPERM", List.of("seccomp.ptrace"));
        // ptrace is allowed: the word is read through /proc/PID/mem instead.
        assertRow(rows, "seccomp-deny-process-vm-readv", "ok", List.of());
        assertEquals("EPERM", rows.get("user-namespace").get("observed").asText(), "no CAP_SYS_PTRACE in the target's namespace");
        assertTrue(rows.get("user-namespace").get("agree").asBoolean(), rows.get("user-namespace").toString());
        assertTrue(rows.get("drop-cap-sys-ptrace+other-uid").get("evidence").asText().contains("Uid 65534"),
                "the uid holds for the thread that called ptrace");
    }

    /** A row that was tried: what the kernel answered, the prediction that agrees, the checks that fail. */
    public static void assertRow(Map<String, JsonNode> rows, String setting, String observed, List<String> failing) {
        JsonNode row = rows.get(setting);
        assertNull(row.get("skipped").textValue(), row.toString());
        assertEquals(observed, row.get("observed").asText(), row.toString());
        assertEquals(observed.equals("ok") ? null : observed, row.get("errno").textValue(), row.toString());
        assertEquals(observed.equals("ok") ? "attachable" : "not-attachable", row.get("predicted").asText(), row.toString());
        assertTrue(row.get("agree").asBoolean(), row.toString());
        List<String> got = new ArrayList<>();
        row.get("failingChecks").forEach(n -> got.add(n.asText()));
        assertTrue(got.containsAll(failing), setting + ": failing checks " + got + " should include " + failing);
    }
}
