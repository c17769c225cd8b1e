package dev.attachproof.fuzz;

import dev.attachproof.elf.ElfFile;
import dev.attachproof.buildinfo.GoBuildInfo;
import dev.attachproof.pclntab.Pclntab;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.ByteBuffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fuzz seeds are what they claim: a mini ELF reads like the binary it was cut from (build
 * id, build info, symbols, debug sections, and the same function, file and line for every PC of
 * the functions its cut pclntab kept), and so does the pointer-form build info.
 */
class FuzzSeedsTest {

    static java.util.stream.Stream<String> toolchains() {
        return GoSeeds.toolchains();
    }

    @ParameterizedTest
    @MethodSource("toolchains")
    void miniElfReadsLikeTheBinaryItWasCutFrom(String toolchain) throws Exception {
        byte[] real = GoSeeds.fixture(toolchain, false);
        byte[] mini = GoSeeds.miniElf(real);
        assertTrue(mini.length < 16 * 1024, "mini ELF of " + mini.length + " bytes");
        ElfFile big = ElfFile.of(real);
        ElfFile small = ElfFile.of(mini);

        assertEquals(big.goBuildId(), small.goBuildId());
        assertTrue(small.goBuildId().isPresent());
        assertEquals(GoBuildInfo.read(big), GoBuildInfo.read(small));
        assertEquals(big.symbols(GoSeeds.SYMBOLS), small.symbols(GoSeeds.SYMBOLS));
        assertTrue(small.symbols(GoSeeds.SYMBOLS).containsKey("runtime.buildVersion"));
        assertEquals(big.debugSection(".debug_abbrev"), small.debugSection(".debug_abbrev"));
        ByteBuffer line = small.debugSection(".debug_line").orElseThrow();
        assertEquals(big.debugSection(".debug_line").orElseThrow().slice(0, line.limit()), line);

        Pclntab full = Pclntab.of(big);
        Pclntab cut = Pclntab.of(small);
        assertEquals(6, cut.functionCount());
        int compared = 0;
        for (int i = 0; i < cut.functionCount(); i++) {
            long entry = cut.entry(i);
            long end = i + 1 < cut.functionCount() ? Math.min(cut.entry(i + 1), entry + 4096) : entry + 256;
            for (long pc = entry; pc < end; pc++) {
                Pclntab.SourceLine want = full.lookup(pc).orElseThrow();
                if (want.entry() != entry) {
                    break;   // past this function: the cut table ends it elsewhere
                }
                assertEquals(want, cut.lookup(pc).orElseThrow(), String.format("pc 0x%x", pc));
                compared++;
            }
        }
        assertTrue(compared > 500, "compared " + compared + " PCs");
    }

    @ParameterizedTest
    @MethodSource("toolchains")
    void pointerFormBuildInfoReadsLikeTheInlineForm(String toolchain) throws Exception {
        ElfFile real = ElfFile.of(GoSeeds.fixture(toolchain, true));
        byte[] inline = GoSeeds.bytes(real, real.section(".go.buildinfo").orElseThrow());
        String[] strings = GoSeeds.inlineBuildInfoStrings(inline);
        ElfWriter w = new ElfWriter();
        w.add(".go.buildinfo", ElfWriter.SHT_PROGBITS, ElfWriter.SHF_ALLOC | ElfWriter.SHF_WRITE,
                GoSeeds.BUILDINFO_ADDRESS,
                GoSeeds.pointerFormatBuildInfo(strings[0], strings[1], GoSeeds.BUILDINFO_ADDRESS));
        w.load(6);
        assertEquals(GoBuildInfo.read(real), GoBuildInfo.read(ElfFile.of(w.build())));
    }
}
