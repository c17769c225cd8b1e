package dev.attachproof.golang;

import dev.attachproof.dwarf.StructType;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The committed layouts, one text file per Go release and architecture under
 * {@code dev/attachproof/golang/layouts/} ("go1.22-amd64.tsv"), generated from real builds by
 * each toolchain (the test-side LayoutGenerator; LayoutDriftTest regenerates and compares). This
 * class both writes that format and reads it back. Lines, tab-separated:
 * <pre>
 * toolchain  go1.22.0
 * struct     runtime.g  440
 * field      runtime.g  goid  152  8  uint64
 * gstatus    4  _Gwaiting  waiting
 * waitreason 7  waitReasonChanReceive  chan receive
 * </pre>
 */
public final class LayoutTable {
    private static final String DIR = "/dev/attachproof/golang/layouts/";
    private static final Map<String, Optional<RuntimeLayout>> CACHE = new ConcurrentHashMap<>();

    private LayoutTable() {}

    /** Release lines ("go1.19", "go1.21", ...) and arches the table holds, from its INDEX file. */
    public static List<String> index() {
        try (InputStream in = LayoutTable.class.getResourceAsStream(DIR + "INDEX")) {
            if (in == null) {
                return List.of();
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines()
                    .filter(l -> !l.isBlank() && !l.startsWith("#")).toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    /** The table's entry for Go {@code major.minor} on {@code arch}, if generated. */
    public static Optional<RuntimeLayout> lookup(int major, int minor, String arch) {
        String key = "go" + major + "." + minor + "-" + arch;
        return CACHE.computeIfAbsent(key, LayoutTable::load);
    }

    private static Optional<RuntimeLayout> load(String key) {
        try (InputStream in = LayoutTable.class.getResourceAsStream(DIR + key + ".tsv")) {
            if (in == null) {
                return Optional.empty();
            }
            String[] parts = key.split("-", 2);
            return Optional.of(parse(parts[0], parts[1], new String(in.readAllBytes(), StandardCharsets.UTF_8)));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("layout table " + key + " unreadable", e);
        }
    }

    /** Parses one table file (format above). */
    public static RuntimeLayout parse(String goVersion, String arch, String text) {
        Map<String, Long> sizes = new LinkedHashMap<>();
        Map<String, List<StructType.Member>> members = new LinkedHashMap<>();
        Map<Integer, RuntimeLayout.Named> status = new TreeMap<>();
        Map<Integer, RuntimeLayout.Named> reasons = new TreeMap<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.split("\t", -1);
            switch (f[0]) {
                case "struct" -> {
                    sizes.put(f[1], Long.parseLong(f[2]));
                    members.put(f[1], new ArrayList<>());
                }
                case "field" -> members.get(f[1]).add(new StructType.Member(f[2], Long.parseLong(f[3]), Long.parseLong(f[4]), f[5]));
                case "gstatus" -> status.put(Integer.parseInt(f[1]), new RuntimeLayout.Named(f[2], f[3]));
                case "waitreason" -> reasons.put(Integer.parseInt(f[1]), new RuntimeLayout.Named(f[2], unescape(f[3])));
                default -> { }
            }
        }
        Map<String, StructType> structs = new LinkedHashMap<>();
        sizes.forEach((name, size) -> structs.put(name, new StructType(name, size, List.copyOf(members.get(name)))));
        return new RuntimeLayout(goVersion, arch, structs, status, reasons);
    }

    /** Writes {@code layout} in the table format, headed by {@code header} comment lines. */
    public static String format(RuntimeLayout layout, String toolchain, List<String> header) {
        StringBuilder b = new StringBuilder();
        header.forEach(h -> b.append("# ").append(h).append('\n'));
        b.append("toolchain\t").append(toolchain).append('\n');
        b.append("arch\t").append(layout.arch()).append('\n');
        for (StructType t : layout.structs().values()) {
            b.append("struct\t").append(t.name()).append('\t').append(t.size()).append('\n');
            for (StructType.Member m : t.members()) {
                b.append("field\t").append(t.name()).append('\t').append(m.name()).append('\t').append(m.offset())
                        .append('\t').append(m.size()).append('\t').append(m.type()).append('\n');
            }
        }
        layout.gStatus().forEach((v, n) -> b.append("gstatus\t").append(v).append('\t').append(n.constant())
                .append('\t').append(n.text()).append('\n'));
        layout.waitReasons().forEach((v, n) -> b.append("waitreason\t").append(v).append('\t').append(n.constant())
                .append('\t').append(escape(n.text())).append('\n'));
        return b.toString();
    }

    private static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n");
    }

    private static String unescape(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length()) {
                char n = s.charAt(++i);
                b.append(n == 't' ? '\t' : n == 'n' ? '\n' : n);
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }
}
