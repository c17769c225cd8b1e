package dev.attachproof.dwarf;

import dev.attachproof.elf.ElfFormatException;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;

import static dev.attachproof.dwarf.DwarfConstants.*;

/**
 * One pass over the units whose name a query accepts, collecting named structs (with member
 * offsets and sizes), the static addresses of named variables and the values of constants
 * whose names start with given prefixes. For a Go binary, asking only the "runtime" units keeps
 * this to a fraction of .debug_info: the Go linker puts the runtime's types, variables and
 * constants in units named "runtime".
 */
public final class DwarfScan {
    private static final int MAX_TYPE_CHAIN = 64;

    private DwarfScan() {}

    /** What a scan found. {@code producer} is that of the first unit scanned with one. */
    public record Result(String producer, Map<String, StructType> structs, Map<String, Long> variables,
                         Map<String, Long> constants) {}

    /**
     * Scans the units named {@code unitName} (null: every unit). Top-level DIEs only: Go
     * declares these at package level.
     */
    public static Result scan(Dwarf dwarf, String unitName, Set<String> structs, Set<String> variables,
                              List<String> constantPrefixes) throws ElfFormatException {
        String producer = "";
        Map<String, StructType> foundStructs = new LinkedHashMap<>();
        Map<String, Long> foundVars = new LinkedHashMap<>();
        Map<String, Long> constants = new TreeMap<>();
        Set<String> wantedStructs = new HashSet<>(structs);
        for (Dwarf.Unit u : dwarf.units()) {
            dwarf.describe(u);
            if (producer.isEmpty()) {
                producer = u.producer();
            }
            if (unitName != null && !unitName.equals(u.name())) {
                continue;
            }
            Dwarf.Walker w = dwarf.walk(u);
            w.next();   // the unit DIE
            List<StructType.Member> members = null;
            String structName = null;
            long structSize = 0;
            List<long[]> memberTypes = null;
            for (Die d = w.next(); d != null; d = w.next()) {
                if (members != null && d.depth() <= 1) {
                    foundStructs.put(structName, resolveMembers(dwarf, structName, structSize, members, memberTypes));
                    members = null;
                }
                if (members == null && wantedStructs.isEmpty() && constantPrefixes.isEmpty()
                        && foundVars.keySet().containsAll(variables)) {
                    // All asked for is found, and no constants are collected: the rest adds nothing.
                    return new Result(producer, foundStructs, foundVars, constants);
                }
                if (d.depth() == 2 && members != null && d.tag() == TAG_MEMBER) {
                    OptionalLong off = d.memberOffset();
                    members.add(new StructType.Member(d.name(), off.orElse(-1), -1, ""));
                    memberTypes.add(new long[] {d.reference(AT_TYPE).orElse(-1)});
                    continue;
                }
                if (d.depth() != 1) {
                    continue;
                }
                switch (d.tag()) {
                    case TAG_STRUCTURE_TYPE -> {
                        String name = d.name();
                        if (wantedStructs.remove(name)) {
                            structName = name;
                            structSize = d.constant(AT_BYTE_SIZE).orElse(-1);
                            members = new ArrayList<>();
                            memberTypes = new ArrayList<>();
                        }
                    }
                    case TAG_VARIABLE -> {
                        if (!variables.isEmpty()) {
                            String name = d.name();
                            if (variables.contains(name) && !foundVars.containsKey(name)) {
                                d.staticAddress(AT_LOCATION).ifPresent(a -> foundVars.put(name, a));
                            }
                        }
                    }
                    case TAG_CONSTANT -> {
                        if (!constantPrefixes.isEmpty()) {
                            String name = d.name();
                            if (constantPrefixes.stream().anyMatch(name::startsWith)) {
                                d.constant(AT_CONST_VALUE).ifPresent(v -> constants.putIfAbsent(name, v));
                            }
                        }
                    }
                    default -> { }
                }
            }
            if (members != null) {
                foundStructs.put(structName, resolveMembers(dwarf, structName, structSize, members, memberTypes));
            }
        }
        return new Result(producer, foundStructs, foundVars, constants);
    }

    private static StructType resolveMembers(Dwarf dwarf, String name, long size, List<StructType.Member> members,
                                             List<long[]> types) throws ElfFormatException {
        List<StructType.Member> out = new ArrayList<>(members.size());
        for (int i = 0; i < members.size(); i++) {
            StructType.Member m = members.get(i);
            long ref = types.get(i)[0];
            if (ref < 0) {
                out.add(m);
                continue;
            }
            Die t = dwarf.dieAt(ref);
            out.add(new StructType.Member(m.name(), m.offset(), typeSize(dwarf, t), t.name()));
        }
        return new StructType(name, size, List.copyOf(out));
    }

    /**
     * The byte size of a type DIE: its DW_AT_byte_size, following typedef/const/volatile chains;
     * the address size for a pointer without one; -1 when unknown.
     */
    public static long typeSize(Dwarf dwarf, Die type) throws ElfFormatException {
        Die t = type;
        for (int hops = 0; hops < MAX_TYPE_CHAIN; hops++) {
            OptionalLong size = t.constant(AT_BYTE_SIZE);
            if (size.isPresent()) {
                return size.getAsLong();
            }
            if (t.tag() == TAG_POINTER_TYPE) {
                return t.unit().addressSize();
            }
            OptionalLong next = t.reference(AT_TYPE);
            if ((t.tag() != TAG_TYPEDEF && t.tag() != TAG_CONST_TYPE && t.tag() != TAG_VOLATILE_TYPE) || next.isEmpty()) {
                return -1;
            }
            t = dwarf.dieAt(next.getAsLong());
        }
        throw new ElfFormatException("DWARF: type chain longer than " + MAX_TYPE_CHAIN + " at " + type.offset());
    }
}
