package dev.attachproof.golang;

import dev.attachproof.elf.ElfFile;
import dev.attachproof.pclntab.Pclntab;
import dev.attachproof.testing.GoFixture;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The stripped-binary method for runtime.allgs and runtime.allglen (the machine code of
 * runtime.allgadd) against the symbol table, on every toolchain, amd64 and arm64, and on
 * stripped, PIE and cgo builds.
 */
class GoroutineListTest {

    static Stream<Arguments> builds() {
        return LayoutGenerator.TOOLCHAINS.stream().flatMap(t -> Stream.of(
                Arguments.of(t, "amd64"), Arguments.of(t, "arm64"), Arguments.of(t, "pie"), Arguments.of(t, "external"),
                Arguments.of(t, "external-pie-amd64"), Arguments.of(t, "external-pie-arm64")));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("builds")
    void theCodeOfAllgaddNamesWhatTheSymbolsSay(String toolchain, String variant) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(GoFixture.available(toolchain), toolchain + " is not installed");
        if (variant.startsWith("external-pie-")) {
            String arch = variant.substring("external-pie-".length());
            sameFromCodeAsFromSymbols(GoFixture.build("target", toolchain, false, GoFixture.Link.EXTERNAL_PIE, arch),
                    GoFixture.build("target", toolchain, true, GoFixture.Link.EXTERNAL_PIE, arch));
            return;
        }
        Map<String, String> env = switch (variant) {
            case "amd64", "arm64" -> Map.of("GOARCH", variant);
            default -> Map.of("CGO_ENABLED", "1");
        };
        List<String> flags = switch (variant) {
            case "pie" -> List.of("-buildmode=pie");
            case "external" -> List.of("-ldflags=-linkmode=external");
            default -> List.of();
        };
        Path plain = GoFixture.build("target", toolchain, flags, env);
        if (variant.equals("amd64") || variant.equals("arm64")) {
            sameFromCodeAsFromSymbols(plain, GoFixture.build("target", toolchain, List.of("-ldflags=-s -w"), env));
        } else {
            sameFromCodeAsFromSymbols(plain, null);
        }
    }

    /**
     * The list found from code equals the one the symbols name; in {@code stripped} (the same
     * program built with -s -w, null for none) it is found from code at the same place: its data
     * moves (the build info grows by the -ldflags setting), but each variable keeps its offset in
     * its section.
     */
    private static void sameFromCodeAsFromSymbols(Path plain, Path strippedBuild) throws Exception {
        ElfFile elf = ElfFile.open(plain);
        Pclntab tab = Pclntab.of(elf);
        GoroutineList fromSymbols = GoroutineList.locate(elf, tab).orElseThrow();
        assertEquals("symbols", fromSymbols.method());
        GoroutineList fromCode = GoroutineList.fromCode(elf, tab).orElseThrow(() -> new AssertionError("not found in code"));
        assertEquals(fromSymbols.allgs(), fromCode.allgs(), "allgs");
        assertEquals(fromSymbols.allglen(), fromCode.allglen(), "allglen");

        if (strippedBuild != null) {
            ElfFile s = ElfFile.open(strippedBuild);
            GoroutineList found = GoroutineList.locate(s, Pclntab.of(s)).orElseThrow(() -> new AssertionError("stripped: not found"));
            assertEquals("code of runtime.allgadd", found.method());
            assertEquals(inSection(elf, fromSymbols.allgs()), inSection(s, found.allgs()), "stripped allgs");
            assertEquals(inSection(elf, fromSymbols.allglen()), inSection(s, found.allglen()), "stripped allglen");
        }
    }

    /** "section+offset" of an address. */
    private static String inSection(ElfFile elf, long addr) {
        return elf.sections().stream().filter(x -> x.address() != 0 && addr >= x.address() && addr < x.address() + x.size())
                .map(x -> x.name() + "+" + (addr - x.address())).findFirst().orElse("nowhere");
    }
}
