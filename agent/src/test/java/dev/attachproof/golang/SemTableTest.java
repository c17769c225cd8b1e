package dev.attachproof.golang;

import dev.attachproof.elf.ElfFile;
import dev.attachproof.pclntab.Pclntab;
import dev.attachproof.testing.GoFixture;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * runtime.semtable found from the code of semacquire1 and semrelease1 (what a stripped binary
 * leaves) is where the symbol says, on every release of the layout table and both arches
 * (amd64's LEAQ, arm64's ADRP+ADD), and its size in the table is the symbol's.
 */
class SemTableTest {
    static Stream<Arguments> rows() {
        return LayoutGenerator.TOOLCHAINS.stream().flatMap(t -> LayoutGenerator.ARCHES.stream().map(a -> Arguments.of(t, a)));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("rows")
    void fromCodeIsWhereTheSymbolSays(String toolchain, String arch) throws Exception {
        ElfFile elf = target(toolchain, arch);
        ElfFile.Symbol sym = elf.symbols(List.of("runtime.semtable")).get("runtime.semtable");
        assertTrue(sym != null && sym.size() > 0, "the symbol");
        assertEquals(sym.value(), SemTable.fromCode(elf, Pclntab.of(elf)).orElseThrow(() -> new AssertionError("not found in code")));
        RuntimeLayout table = RuntimeLayouts.fromDwarf(elf).orElseThrow();
        assertEquals(sym.size(), table.structs().get(RuntimeLayout.SEM_TABLE).size());
        assertEquals(0, sym.size() % WaitReader.SEM_TAB_SIZE, "251 roots of one size");
    }

    /**
     * Where a stripped binary's type data starts (channels' element types are named from it):
     * moduledata.types, where the runtime.types symbol says, on every release and both arches.
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("rows")
    void moduledataTypesIsWhereTheSymbolSays(String toolchain, String arch) throws Exception {
        ElfFile elf = target(toolchain, arch);
        ElfFile.Symbol sym = elf.symbols(List.of("runtime.types")).get("runtime.types");
        assertTrue(sym != null, "the symbol");
        Pclntab.Findings f = Pclntab.of(elf).findings().orElseThrow();
        assertEquals(sym.value(), f.moduledata()[f.words().gofunc() - 3]);
    }

    /** The layout generator's program, built by {@code toolchain} for {@code arch} with its symbols. */
    private static ElfFile target(String toolchain, String arch) throws Exception {
        assumeTrue(GoFixture.available(toolchain), toolchain + " is not installed");
        return ElfFile.open(GoFixture.build("target", toolchain, List.of(), Map.of("GOARCH", arch)));
    }
}
