package dev.attachproof.golang;

import dev.attachproof.dwarf.Dwarf;
import dev.attachproof.dwarf.DwarfScan;
import dev.attachproof.elf.ElfFile;
import dev.attachproof.elf.ElfFormatException;
import dev.attachproof.pclntab.Pclntab;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Where a binary keeps its goroutine list: {@code runtime.allgs} (a []*g: pointer, length,
 * capacity) and {@code runtime.allglen} (link-time addresses; add a PIE's load bias). From the
 * symbol table, else from DWARF, else, in a stripped binary, from the machine code of
 * {@code runtime.allgadd}, found through pclntab (which stripping keeps). That function appends
 * to allgs under allglock and then publishes allgptr and allglen (runtime/proc.go, the same in
 * Go 1.16 to 1.26), so its code names:
 * <ul>
 * <li>allgs as three words of one slice header: an address X referenced as X, X+8 and X+16;</li>
 * <li>allglen once, and only by address (it is stored atomically through a register: XCHG on
 *     amd64, STLR on arm64); allglock is also only taken by address, but twice (lock, unlock);
 *     allgptr is also loaded and compared.</li>
 * </ul>
 * Each address must lie in a writable data segment. The snapshot checks the result against the
 * live process too: allgs.len equals allglen and allgs.ptr equals allgptr.
 *
 * @param method "symbols", "dwarf" or "code of runtime.allgadd"
 */
public record GoroutineList(long allgs, long allglen, String method) {
    static final String ALLGS = "runtime.allgs";
    static final String ALLGLEN = "runtime.allglen";
    private static final Set<String> VARIABLE_SECTIONS = Set.of(".data", ".noptrdata", ".bss", ".noptrbss");

    /** The goroutine list of {@code elf}; empty with no way to find it. */
    public static Optional<GoroutineList> locate(ElfFile elf, Pclntab tab) throws ElfFormatException {
        Map<String, ElfFile.Symbol> syms = elf.symbols(List.of(ALLGS, ALLGLEN));
        if (syms.containsKey(ALLGS) && syms.containsKey(ALLGLEN)) {
            return Optional.of(new GoroutineList(syms.get(ALLGS).value(), syms.get(ALLGLEN).value(), "symbols"));
        }
        Optional<Dwarf> dwarf = Dwarf.of(elf);
        if (dwarf.isPresent()) {
            Map<String, Long> vars = DwarfScan.scan(dwarf.get(), "runtime", Set.of(), Set.of(ALLGS, ALLGLEN), List.of()).variables();
            if (vars.containsKey(ALLGS) && vars.containsKey(ALLGLEN)) {
                return Optional.of(new GoroutineList(vars.get(ALLGS), vars.get(ALLGLEN), "dwarf"));
            }
        }
        return fromCode(elf, tab);
    }

    /** The method for stripped binaries, on its own (tests hold it against the symbols). */
    public static Optional<GoroutineList> fromCode(ElfFile elf, Pclntab tab) throws ElfFormatException {
        Optional<List<DataReferences.Ref>> refs = DataReferences.inFunction(elf, tab, "runtime.allgadd");
        if (refs.isEmpty()) {
            return Optional.empty();
        }
        Map<Long, List<DataReferences.Use>> uses = new HashMap<>();
        for (DataReferences.Ref r : refs.get()) {
            if (inVariables(elf, r.target())) {
                uses.computeIfAbsent(r.target(), k -> new ArrayList<>()).add(r.use());
            }
        }
        List<Long> slices = uses.keySet().stream()
                .filter(x -> uses.containsKey(x + 8) && uses.containsKey(x + 16)).toList();
        if (slices.size() != 1) {
            return Optional.empty();
        }
        long allgs = slices.getFirst();
        List<Long> addressedOnce = uses.entrySet().stream()
                .filter(e -> e.getKey() < allgs || e.getKey() > allgs + 16)
                .filter(e -> e.getValue().equals(List.of(DataReferences.Use.ADDRESS)))
                .map(Map.Entry::getKey).toList();
        if (addressedOnce.size() != 1) {
            return Optional.empty();
        }
        return Optional.of(new GoroutineList(allgs, addressedOnce.getFirst(), "code of runtime.allgadd"));
    }

    /**
     * Whether {@code addr} is in the sections Go puts package variables in (.data, .noptrdata,
     * .bss, .noptrbss); without section headers, in a writable segment. (A PIE's writable
     * segment also holds .data.rel.ro, with type descriptors the code takes the address of.)
     */
    static boolean inVariables(ElfFile elf, long addr) {
        List<ElfFile.Section> vars = elf.sections().stream()
                .filter(s -> VARIABLE_SECTIONS.contains(s.name())).toList();
        if (!vars.isEmpty()) {
            return vars.stream().anyMatch(s -> Long.compareUnsigned(addr - s.address(), s.size()) < 0);
        }
        for (ElfFile.Segment s : elf.segments()) {
            if (s.type() == ElfFile.PT_LOAD && (s.flags() & 2) != 0
                    && Long.compareUnsigned(addr - s.vaddr(), s.memSize()) < 0) {
                return true;
            }
        }
        return false;
    }
}
