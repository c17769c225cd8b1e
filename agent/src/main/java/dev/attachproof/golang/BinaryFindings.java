package dev.attachproof.golang;

import dev.attachproof.pclntab.Pclntab;

import java.util.Optional;

/**
 * What reading a Go binary finds in it that costs time to find and depends on nothing but its
 * bytes: the runtime layouts (a DWARF scan, or the table), where the goroutine list is (symbols,
 * DWARF or machine code), and what the pclntab reader looks up beyond its header (moduledata,
 * the funcID numbering). Nothing of a process is here (load bias, GODEBUG, mappings): a second
 * read of the same file may take these as found ({@link BinaryFindingsCodec}).
 */
public record BinaryFindings(RuntimeLayouts.Resolution layouts, GoroutineList list, Pclntab.Findings pclntab) {

    /**
     * What {@code runtime} and {@code list} found, the pclntab's lazy lookups made now; empty when
     * there is no layout, or the pclntab's lookups fail their checks (each reader then meets
     * the failure itself).
     */
    public static Optional<BinaryFindings> of(GoRuntime runtime, GoroutineList list) {
        if (runtime.layouts().layout().isEmpty()) {
            return Optional.empty();
        }
        return runtime.pclntab().findings().map(p -> new BinaryFindings(runtime.layouts(), list, p));
    }
}
