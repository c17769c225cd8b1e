package dev.attachproof.golang;

import dev.attachproof.dwarf.Dwarf;
import dev.attachproof.dwarf.DwarfScan;
import dev.attachproof.dwarf.StructType;
import dev.attachproof.elf.ElfFile;
import dev.attachproof.elf.ElfFormatException;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Decides which runtime layout describes a binary. The binary's own DWARF wins when present, so a
 * Go release newer than the table still works; the committed {@link LayoutTable} serves stripped
 * binaries; when both exist and disagree, the disagreements are listed.
 */
public final class RuntimeLayouts {
    private static final int MAX_DISAGREEMENTS = 20;
    private static final int MAX_STRINGS = 4096;
    /**
     * Goroutine status constants: _G and a lower-case letter (not the GC phases _GCoff...), but
     * not the scan-bit variants (the scan bit is masked before lookup) nor _GoidCacheBatch.
     */
    private static final Pattern STATUS_CONSTANT = Pattern.compile("runtime\\._G(?!scan|oidCache)[a-z]\\w*");
    private static final Pattern WAIT_REASON_CONSTANT = Pattern.compile("runtime\\.waitReason[A-Z]\\w*");

    private RuntimeLayouts() {}

    /**
     * The outcome: the layout to use (if any), where it came from ("dwarf", "table go1.22-amd64"),
     * what DWARF and the table disagree on, and, when there is no layout, why.
     */
    public record Resolution(Optional<RuntimeLayout> layout, String source, List<String> disagreements, String problem) {}

    /** Resolves the layout for {@code elf}, a Go binary of release {@code major.minor} (from its build info). */
    public static Resolution resolve(ElfFile elf, int major, int minor) throws ElfFormatException {
        Optional<RuntimeLayout> table = LayoutTable.lookup(major, minor, elf.arch());
        String tableName = tableName(major, minor, elf.arch());
        Optional<RuntimeLayout> fromDwarf;
        try {
            fromDwarf = fromDwarf(elf);
        } catch (ElfFormatException e) {
            // A damaged DWARF is not a damaged program: its release's table still describes it.
            String damage = "its DWARF is damaged (" + e.getMessage() + ")";
            return table.isPresent() ? new Resolution(table, tableName, List.of(damage + ": the layout comes from the table"), "")
                    : new Resolution(Optional.empty(), "none", List.of(), damage + " and the layout table has no Go " + major
                            + "." + minor + " on " + elf.arch());
        }
        if (fromDwarf.isPresent()) {
            RuntimeLayout d = fromDwarf.get();
            if (table.isPresent()) {
                d = withTableStructs(withTableWords(d, table.get()), table.get());
            }
            List<String> diff = table.map(t -> compare(fromDwarf.get(), t, tableName)).orElse(List.of());
            return new Resolution(Optional.of(d), "dwarf", diff, "");
        }
        if (table.isPresent()) {
            return new Resolution(table, tableName, List.of(), "");
        }
        return new Resolution(Optional.empty(), "none", List.of(),
                "the binary has no DWARF and the layout table has no Go " + major + "." + minor + " on " + elf.arch()
                        + " (it has " + String.join(", ", LayoutTable.index()) + ")");
    }

    /** {@code d} with the table's structs that a program has in its DWARF only when it uses them ({@link RuntimeLayout#USED_BY_PROGRAM}). */
    private static RuntimeLayout withTableStructs(RuntimeLayout d, RuntimeLayout table) {
        Map<String, StructType> structs = new java.util.LinkedHashMap<>(d.structs());
        for (String name : RuntimeLayout.USED_BY_PROGRAM) {
            if (!structs.containsKey(name) && table.structs().containsKey(name)) {
                structs.put(name, table.structs().get(name));
            }
        }
        return new RuntimeLayout(d.goVersion(), d.arch(), structs, d.gStatus(), d.waitReasons());
    }

    /** How a table entry is named as a layout's source: "table go1.22-amd64". */
    static String tableName(int major, int minor, String arch) {
        return "table go" + major + "." + minor + "-" + arch;
    }

    /**
     * The layout the binary's DWARF describes: the runtime structs, the status and wait reason
     * constants, and their words from the binary's own gStatusStrings/waitReasonStrings arrays
     * (a PIE's pointers read as the loader writes them: {@link ElfFile#word}).
     */
    public static Optional<RuntimeLayout> fromDwarf(ElfFile elf) throws ElfFormatException {
        Optional<Dwarf> dwarf = Dwarf.of(elf);
        if (dwarf.isEmpty()) {
            return Optional.empty();
        }
        Set<String> vars = Set.of("runtime.gStatusStrings", "runtime.waitReasonStrings");
        List<String> prefixes = List.of("runtime._G", "runtime.waitReason");
        DwarfScan.Result r = DwarfScan.scan(dwarf.get(), "runtime", Set.copyOf(RuntimeLayout.STRUCTS), vars, prefixes);
        if (!r.structs().containsKey("runtime.g")) {
            // A linker that names its units otherwise: look everywhere.
            r = DwarfScan.scan(dwarf.get(), null, Set.copyOf(RuntimeLayout.STRUCTS), vars, prefixes);
            if (!r.structs().containsKey("runtime.g")) {
                return Optional.empty();
            }
        }
        Map<Integer, RuntimeLayout.Named> status = named(r.constants(), STATUS_CONSTANT);
        Map<Integer, RuntimeLayout.Named> reasons = named(r.constants(), WAIT_REASON_CONSTANT);
        fillFromBinary(elf, status, r.variables().get("runtime.gStatusStrings"));
        fillFromBinary(elf, reasons, r.variables().get("runtime.waitReasonStrings"));
        String version = r.producer().replaceFirst("^Go cmd/compile ", "").replaceFirst(";.*$", "");
        Map<String, StructType> structs = new java.util.LinkedHashMap<>();
        for (String s : RuntimeLayout.STRUCTS) {
            if (r.structs().containsKey(s)) {
                structs.put(s, r.structs().get(s));
            }
        }
        ElfFile.Symbol semtable = elf.symbols(List.of("runtime.semtable")).get("runtime.semtable");
        if (semtable != null && semtable.size() > 0) {
            structs.put(RuntimeLayout.SEM_TABLE, new StructType(RuntimeLayout.SEM_TABLE, semtable.size(), List.of()));
        }
        return Optional.of(new RuntimeLayout(version, elf.arch(), structs, status, reasons));
    }

    private static Map<Integer, RuntimeLayout.Named> named(Map<String, Long> constants, Pattern names) {
        Map<Integer, RuntimeLayout.Named> out = new TreeMap<>();
        constants.forEach((name, value) -> {
            if (names.matcher(name).matches() && value >= 0 && value < MAX_STRINGS) {
                out.putIfAbsent(value.intValue(), new RuntimeLayout.Named(name.substring("runtime.".length()), ""));
            }
        });
        return out;
    }

    /** Fills the words from a [...]string array in the file's data, when every entry is readable there. */
    private static void fillFromBinary(ElfFile elf, Map<Integer, RuntimeLayout.Named> named, Long address) {
        if (address == null || named.isEmpty()) {
            return;
        }
        int count = named.keySet().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1;
        Optional<ByteBuffer> headers = elf.readVirtual(address, count * 16);
        if (headers.isEmpty()) {
            return;
        }
        List<String> words = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            long len = headers.get().getLong(i * 16 + 8);
            if (len == 0) {
                words.add("");
                continue;
            }
            if (len < 0 || len > 256) {
                return;
            }
            // In a PIE the string's pointer is a dynamic relocation: read it as loaded.
            long ptr;
            try {
                ptr = elf.word(address + i * 16L).orElse(0);
            } catch (dev.attachproof.elf.ElfFormatException e) {
                return;
            }
            Optional<ByteBuffer> bytes = elf.readVirtual(ptr, (int) len);
            if (bytes.isEmpty()) {
                return;
            }
            byte[] b = new byte[(int) len];
            bytes.get().get(0, b);
            words.add(new String(b, StandardCharsets.UTF_8));
        }
        named.replaceAll((v, n) -> new RuntimeLayout.Named(n.constant(), words.get(v)));
    }

    /** Words DWARF could not give (a PIE's arrays) taken from the table, matched by constant name. */
    private static RuntimeLayout withTableWords(RuntimeLayout d, RuntimeLayout table) {
        Map<String, String> status = new java.util.HashMap<>();
        table.gStatus().values().forEach(n -> status.put(n.constant(), n.text()));
        Map<String, String> reasons = new java.util.HashMap<>();
        table.waitReasons().values().forEach(n -> reasons.put(n.constant(), n.text()));
        Map<Integer, RuntimeLayout.Named> s = new TreeMap<>(d.gStatus());
        s.replaceAll((v, n) -> n.text().isEmpty() && status.containsKey(n.constant()) ? new RuntimeLayout.Named(n.constant(), status.get(n.constant())) : n);
        Map<Integer, RuntimeLayout.Named> w = new TreeMap<>(d.waitReasons());
        w.replaceAll((v, n) -> n.text().isEmpty() && reasons.containsKey(n.constant()) ? new RuntimeLayout.Named(n.constant(), reasons.get(n.constant())) : n);
        return new RuntimeLayout(d.goVersion(), d.arch(), d.structs(), s, w);
    }

    /** Where the binary's DWARF and the table differ, one line each (at most 20, then a count). */
    public static List<String> compare(RuntimeLayout dwarf, RuntimeLayout table, String tableName) {
        List<String> out = new ArrayList<>();
        for (StructType t : table.structs().values()) {
            StructType d = dwarf.structs().get(t.name());
            if (d == null && RuntimeLayout.USED_BY_PROGRAM.contains(t.name())) {
                continue;   // the program does not use it: its DWARF has no such type, and the table serves
            }
            if (d == null) {
                out.add(t.name() + ": in the " + tableName + ", not in the binary's DWARF");
                continue;
            }
            if (d.size() != t.size()) {
                out.add(t.name() + ": size " + d.size() + " in DWARF, " + t.size() + " in the " + tableName);
            }
            Set<String> seen = new HashSet<>();
            for (StructType.Member m : t.members()) {
                seen.add(m.name());
                Optional<StructType.Member> dm = d.member(m.name());
                if (dm.isEmpty()) {
                    out.add(t.name() + "." + m.name() + ": in the " + tableName + ", not in DWARF");
                } else if (dm.get().offset() != m.offset() || dm.get().size() != m.size()) {
                    out.add(t.name() + "." + m.name() + ": offset/size " + dm.get().offset() + "/" + dm.get().size()
                            + " in DWARF, " + m.offset() + "/" + m.size() + " in the " + tableName);
                }
            }
            for (StructType.Member m : d.members()) {
                if (!seen.contains(m.name())) {
                    out.add(t.name() + "." + m.name() + ": in DWARF, not in the " + tableName);
                }
            }
        }
        compareNamed("wait reason", dwarf.waitReasons(), table.waitReasons(), tableName, out);
        compareNamed("status", dwarf.gStatus(), table.gStatus(), tableName, out);
        if (out.size() > MAX_DISAGREEMENTS) {
            int more = out.size() - MAX_DISAGREEMENTS;
            out = new ArrayList<>(out.subList(0, MAX_DISAGREEMENTS));
            out.add("and " + more + " more");
        }
        return List.copyOf(out);
    }

    private static void compareNamed(String what, Map<Integer, RuntimeLayout.Named> dwarf, Map<Integer, RuntimeLayout.Named> table,
                                     String tableName, List<String> out) {
        for (Map.Entry<Integer, RuntimeLayout.Named> e : table.entrySet()) {
            RuntimeLayout.Named d = dwarf.get(e.getKey());
            if (d == null || !d.constant().equals(e.getValue().constant())) {
                out.add(what + " " + e.getKey() + ": " + (d == null ? "absent" : d.constant()) + " in DWARF, "
                        + e.getValue().constant() + " in the " + tableName);
            }
        }
    }
}
