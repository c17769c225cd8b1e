package dev.attachproof.golang;

import dev.attachproof.delve.GoVersion;
import dev.attachproof.elf.ElfFile;
import dev.attachproof.buildinfo.GoBuildInfo;
import dev.attachproof.testing.GoFixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which layout a real binary gets: its DWARF when present, else the table; and what they disagree on. */
class RuntimeLayoutsTest {

    @ParameterizedTest(name = "{0} stripped={1}")
    @MethodSource("dev.attachproof.testing.GoFixture#toolchainMatrix")
    void dwarfWinsAndAgreesWithTheTable(String toolchain, boolean stripped) throws Exception {
        Path binary = GoFixture.build("target", toolchain, stripped);
        ElfFile elf = ElfFile.open(binary);
        GoVersion v = GoVersion.parse(GoBuildInfo.read(elf).orElseThrow().goVersion()).orElseThrow();
        RuntimeLayouts.Resolution r = RuntimeLayouts.resolve(elf, v.major(), v.minor());
        RuntimeLayout layout = r.layout().orElseThrow(() -> new AssertionError(r.problem()));
        assertEquals(stripped ? "table go" + v.majorMinor() + "-amd64" : "dwarf", r.source());
        assertEquals(List.of(), r.disagreements(), "a release's DWARF and its table entry agree");
        assertEquals("waiting", layout.statusText(4));
        assertEquals("waiting", layout.statusText(0x1000 | 4), "the scan bit is masked");
        assertEquals("???", layout.statusText(77), "an unknown status prints as Go prints it");
        assertTrue(layout.waitReasons().containsValue(new RuntimeLayout.Named("waitReasonChanReceive", "chan receive")));
        assertTrue(layout.offset("runtime.g", "goid").isPresent());
        if (!stripped) {
            // The words came from the binary's own arrays, not from the table: a binary that the
            // table does not know would still print right.
            RuntimeLayout own = RuntimeLayouts.fromDwarf(elf).orElseThrow();
            assertEquals(layout.waitReasons(), own.waitReasons());
            assertEquals("chan receive", own.waitReasons().values().stream()
                    .filter(n -> n.constant().equals("waitReasonChanReceive")).findFirst().orElseThrow().text());
        }
    }

    @Test
    void aPieGetsItsWordsFromTheTable() throws Exception {
        Path binary = GoFixture.build("target", "go1.22.0", List.of("-buildmode=pie"), Map.of("CGO_ENABLED", "1"));
        ElfFile elf = ElfFile.open(binary);
        assertEquals(ElfFile.ET_DYN, elf.type());
        RuntimeLayouts.Resolution r = RuntimeLayouts.resolve(elf, 1, 22);
        assertEquals("dwarf", r.source());
        assertEquals(List.of(), r.disagreements());
        RuntimeLayout table = LayoutTable.lookup(1, 22, "amd64").orElseThrow();
        assertEquals(table.waitReasons(), r.layout().orElseThrow().waitReasons());
        assertEquals(table.gStatus(), r.layout().orElseThrow().gStatus());
    }

    @Test
    void disagreementsAreNamed() throws Exception {
        ElfFile elf = ElfFile.open(GoFixture.build("target", "go1.22.0", false));
        RuntimeLayout dwarf = RuntimeLayouts.fromDwarf(elf).orElseThrow();
        RuntimeLayout older = LayoutTable.lookup(1, 21, "amd64").orElseThrow();
        List<String> diff = RuntimeLayouts.compare(dwarf, older, "table go1.21-amd64");
        assertFalse(diff.isEmpty());
        // Go 1.22 grew runtime.g by 16 bytes over 1.21 (the committed tables say 408 and 424).
        assertTrue(diff.contains("runtime.g: size 424 in DWARF, 408 in the table go1.21-amd64"), diff.toString());
    }

    @Test
    void aReleaseTheTableLacksIsExplained() throws Exception {
        ElfFile elf = ElfFile.open(GoFixture.build("target", "go1.22.0", true));
        RuntimeLayouts.Resolution r = RuntimeLayouts.resolve(elf, 1, 20);
        assertTrue(r.layout().isEmpty());
        assertTrue(r.problem().startsWith("the binary has no DWARF and the layout table has no Go 1.20 on amd64"), r.problem());
    }
}
