package dev.attachproof.procfs;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * /proc/PID/status (fs/proc/array.c): the credentials, capabilities, seccomp mode and pid
 * namespace view of a process. Fields a kernel does not print (Seccomp_filters arrived in 5.9,
 * NSpid in 4.1) come back empty rather than guessed.
 */
public record ProcStatus(Map<String, String> fields) {

    public static ProcStatus parse(String text) {
        Map<String, String> f = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            int colon = line.indexOf(':');
            if (colon > 0) {
                f.put(line.substring(0, colon), line.substring(colon + 1).strip());
            }
        }
        return new ProcStatus(Map.copyOf(f));
    }

    public String name() {
        return fields.getOrDefault("Name", "?");
    }

    /** The state letter: R, S, D, T (stopped), t (tracing stop), Z (zombie), X, I. */
    public char state() {
        String s = fields.getOrDefault("State", "?");
        return s.isEmpty() ? '?' : s.charAt(0);
    }

    /** The whole State value, e.g. "S (sleeping)". */
    public String stateText() {
        return fields.getOrDefault("State", "?");
    }

    public int tgid() {
        return intField("Tgid").orElse(-1);
    }

    public int ppid() {
        return intField("PPid").orElse(-1);
    }

    /** Pid of the process tracing this one, 0 when none. */
    public int tracerPid() {
        return intField("TracerPid").orElse(0);
    }

    /** Real, effective, saved and filesystem uid, in that order. */
    public Credentials uids() {
        return Credentials.parse(fields.getOrDefault("Uid", ""));
    }

    /** Real, effective, saved and filesystem gid, in that order. */
    public Credentials gids() {
        return Credentials.parse(fields.getOrDefault("Gid", ""));
    }

    public OptionalLong capEff() {
        return hexField("CapEff");
    }

    public OptionalLong capPrm() {
        return hexField("CapPrm");
    }

    public OptionalLong capInh() {
        return hexField("CapInh");
    }

    public OptionalLong capBnd() {
        return hexField("CapBnd");
    }

    public OptionalLong capAmb() {
        return hexField("CapAmb");
    }

    public OptionalInt noNewPrivs() {
        return intField("NoNewPrivs");
    }

    /** 0 disabled, 1 strict, 2 filter (SECCOMP_MODE_*). */
    public OptionalInt seccompMode() {
        return intField("Seccomp");
    }

    public OptionalInt seccompFilters() {
        return intField("Seccomp_filters");
    }

    /** This process's pid in each nested pid namespace, outermost (ours) first. */
    public List<Integer> nsPids() {
        String v = fields.get("NSpid");
        if (v == null || v.isBlank()) {
            return List.of();
        }
        return Arrays.stream(v.split("\\s+")).map(Integer::parseInt).toList();
    }

    public int threads() {
        return intField("Threads").orElse(1);
    }

    private OptionalInt intField(String key) {
        String v = fields.get(key);
        if (v == null || v.isEmpty()) {
            return OptionalInt.empty();
        }
        try {
            return OptionalInt.of(Integer.parseInt(v.split("\\s+")[0]));
        } catch (NumberFormatException e) {
            return OptionalInt.empty();
        }
    }

    private OptionalLong hexField(String key) {
        String v = fields.get(key);
        if (v == null || v.isEmpty()) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(Long.parseUnsignedLong(v, 16));
    }
}
