package dev.attachproof.golang;

import dev.attachproof.elf.ElfFile;
import dev.attachproof.elf.ElfFormatException;
import dev.attachproof.pclntab.Pclntab;

import java.util.HashSet;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Where {@code runtime.semtable} is (link-time address): from the symbol table, else, in a
 * stripped binary, from the code of the two functions that reach it: runtime.semacquire1 and
 * runtime.semrelease1 take its address (semtable.rootFor, inlined: LEAQ runtime.semtable(SB) on
 * amd64, ADRP+ADD on arm64) and no other pointerful variable's, in Go 1.19 to 1.26. The one
 * variable in .bss both take the address of is it; any other answer is none.
 */
public final class SemTable {
    private SemTable() {}

    public static OptionalLong locate(ElfFile elf, Pclntab tab) throws ElfFormatException {
        ElfFile.Symbol sym = elf.symbols(List.of("runtime.semtable")).get("runtime.semtable");
        if (sym != null) {
            return OptionalLong.of(sym.value());
        }
        return fromCode(elf, tab);
    }

    /** The method for stripped binaries, on its own (tests hold it against the symbols). */
    public static OptionalLong fromCode(ElfFile elf, Pclntab tab) throws ElfFormatException {
        Set<Long> acquire = addressed(elf, tab, "runtime.semacquire1");
        Set<Long> release = addressed(elf, tab, "runtime.semrelease1");
        acquire.retainAll(release);
        return acquire.size() == 1 ? OptionalLong.of(acquire.iterator().next()) : OptionalLong.empty();
    }

    /**
     * The variables {@code function} takes the address of. semtable holds pointers (the treaps'
     * *sudog), so the linker puts it in .bss (cmd/link: pointerful zeroed data), never in
     * .noptrbss, where the flags arm64 code also reaches through ADRP+ADD live
     * (runtime.arm64HasATOMICS, Go 1.19): with section headers, only .bss counts.
     */
    private static Set<Long> addressed(ElfFile elf, Pclntab tab, String function) throws ElfFormatException {
        java.util.Optional<ElfFile.Section> bss = elf.section(".bss");
        Set<Long> out = new HashSet<>();
        for (DataReferences.Ref r : DataReferences.inFunction(elf, tab, function).orElse(List.of())) {
            boolean variable = bss.isPresent()
                    ? Long.compareUnsigned(r.target() - bss.get().address(), bss.get().size()) < 0
                    : GoroutineList.inVariables(elf, r.target());
            if (r.use() == DataReferences.Use.ADDRESS && variable) {
                out.add(r.target());
            }
        }
        return out;
    }
}
