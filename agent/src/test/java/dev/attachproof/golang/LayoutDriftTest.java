package dev.attachproof.golang;

import dev.attachproof.elf.ElfFile;
import dev.attachproof.pclntab.ModuledataWords;
import dev.attachproof.pclntab.Pclntab;
import dev.attachproof.testing.GoFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Regenerates the layout table for every toolchain and arch and fails on any difference from the
 * committed files. To rewrite them after adding a toolchain:
 * {@code ./test -pl native-bindings,agent -Dtest=LayoutDriftTest -Dattachproof.layouts.write=true}.
 */
class LayoutDriftTest {
    private static final boolean WRITE = Boolean.getBoolean("attachproof.layouts.write");
    private static final List<String> WRITTEN = Collections.synchronizedList(new ArrayList<>());

    static Stream<Arguments> rows() {
        return LayoutGenerator.TOOLCHAINS.stream()
                .flatMap(t -> LayoutGenerator.ARCHES.stream().map(a -> Arguments.of(t, a)));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("rows")
    void committedTableMatchesTheToolchain(String toolchain, String arch) throws Exception {
        assumeTrue(GoFixture.available(toolchain), toolchain + " is not installed");
        LayoutGenerator.Generated g = LayoutGenerator.generate(toolchain, arch);
        if (WRITE) {
            LayoutGenerator.write(g);
            WRITTEN.add(g.name());
            return;
        }
        var file = LayoutGenerator.committed(g.name());
        assertTrue(Files.exists(file), "no committed table " + file + "; generate it (see this class)");
        assertEquals(Files.readString(file, StandardCharsets.UTF_8), g.text(), g.name() + " drifted from " + toolchain);
        // and what the agent loads at run time is that file
        String[] parts = g.name().substring(2).split("[.-]");
        RuntimeLayout loaded = LayoutTable.lookup(Integer.parseInt(parts[0]), Integer.parseInt(parts[1]), arch).orElseThrow();
        assertEquals(LayoutTable.parse(loaded.goVersion(), arch, g.text()), loaded);
    }

    /**
     * The moduledata words read from every binary (to find moduledata, its text and gofunc) are
     * where that toolchain's DWARF puts them, and where the format's table, which serves binaries
     * without DWARF, says they are.
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("rows")
    void moduledataWordsMatchTheToolchain(String toolchain, String arch) throws Exception {
        assumeTrue(GoFixture.available(toolchain), toolchain + " is not installed");
        ElfFile elf = ElfFile.open(GoFixture.build("target", toolchain, List.of(), Map.of("GOARCH", arch)));
        Pclntab tab = Pclntab.of(elf);
        ModuledataWords own = tab.moduledataWords();
        assertEquals("DWARF", own.source(), toolchain + " " + arch + ": the positions come from the binary's DWARF");
        assertEquals(own.positions(), ModuledataWords.forFormat(tab.magic()).positions(),
                toolchain + " " + arch + ": moduledata's words in DWARF differ from the table for " + tab.format());
    }

    @AfterAll
    static void index() throws Exception {
        if (WRITE && !WRITTEN.isEmpty()) {
            List<String> names = new ArrayList<>(WRITTEN);
            Collections.sort(names);
            LayoutGenerator.writeIndex(names);
        }
    }
}
