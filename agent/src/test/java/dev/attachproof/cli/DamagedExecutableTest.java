package dev.attachproof.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.attachproof.dwarf.Dwarf;
import dev.attachproof.elf.ElfFile;
import dev.attachproof.elf.ElfFormatException;
import dev.attachproof.testing.AgentCli;
import dev.attachproof.testing.FixtureProcess;
import dev.attachproof.testing.GoFixture;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A real Go fixture binary, damaged by the test, read by doctor, compat and goroutines: they
 * read it through one reader and name one cause. A copy cut short in its DWARF still runs (the
 * kernel loads a Go binary from its program headers, and Go's linker puts the DWARF after the
 * last loaded segment), so the live path is tested on a process whose /proc/PID/exe is the
 * damaged file: the copy is cut before it is started, since Linux refuses to write a running
 * executable (ETXTBSY). A copy cut inside a loaded segment cannot run; compat reads it as a
 * path. In both, the Go build info lies wholly before the cut: "not a Go program" would be false.
 */
class DamagedExecutableTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SECTION_CUT = "lies outside the file (truncated file?)";
    private static Path target;

    @BeforeAll
    static void build() {
        target = GoFixture.build("target");
    }

    @Test
    void anExecutableCutInItsDwarfIsDamagedInEveryCommandAndRunsOn(@TempDir Path dir) throws Exception {
        ElfFile intact = ElfFile.open(target);
        ElfFile.Section debugInfo = intact.section(".debug_info").orElseThrow();
        long cut = debugInfo.offset() + 16;
        assertTrue(cut > endOfLoadedSegments(intact), "the cut must spare every PT_LOAD segment, or the copy would not run");
        assertTrue(cut > end(intact.section(".go.buildinfo").orElseThrow()), "the build info lies before the cut");
        Path copy = copyOf(dir, "cut");
        try (RandomAccessFile f = new RandomAccessFile(copy.toFile(), "rw")) {
            f.setLength(cut);
        }
        String reason = assertThrows(ElfFormatException.class, () -> ElfFile.open(copy)).getMessage();
        assertTrue(reason.endsWith(SECTION_CUT), reason);
        String cause = "the executable is damaged: " + reason;

        try (FixtureProcess t = FixtureProcess.start(copy, "-hold", "forever")) {
            String pid = Integer.toString(t.pid());
            AgentCli.Result doctor = AgentCli.run("doctor", pid, "--json");
            assertEquals(0, doctor.exit(), doctor.stderr() + doctor.stdout());
            JsonNode doc = JSON.readTree(doctor.stdout());
            JsonNode go = check(doc, "target.go");
            assertNotEquals("fail", go.get("status").asText(), go.toString());
            assertFalse(go.get("summary").asText().contains("not a Go program"), go.toString());
            JsonNode binary = check(doc, "target.binary");
            assertEquals("warn", binary.get("status").asText(), binary.toString());
            assertEquals(cause, binary.get("summary").asText());
            assertTrue(doc.get("proof").get("ok").asBoolean(), doc.get("proof").toString());
            assertTrue(doc.get("proof").get("notes").toString().contains(cause), doc.get("proof").toString());

            assertOneLine(AgentCli.run("compat", pid), cause);
            assertOneLine(AgentCli.run("goroutines", pid), cause);
            t.assertRunningUntraced();
        }
        assertOneLine(AgentCli.run("compat", copy.toString()), cause);
    }

    @Test
    void anExecutableCutInALoadedSegmentIsDamagedNotNotGo(@TempDir Path dir) throws Exception {
        ElfFile intact = ElfFile.open(target);
        ElfFile.Section buildInfo = intact.section(".go.buildinfo").orElseThrow();
        long cut = end(buildInfo) + 64;
        assertTrue(cut < endOfLoadedSegments(intact), "the cut must fall inside a loaded segment");
        Path copy = copyOf(dir, "short");
        try (RandomAccessFile f = new RandomAccessFile(copy.toFile(), "rw")) {
            f.setLength(cut);
        }
        String reason = assertThrows(ElfFormatException.class, () -> ElfFile.open(copy)).getMessage();
        assertTrue(reason.matches("segment \\d+ lies outside the file \\(truncated file\\?\\)"), reason);
        AgentCli.Result r = AgentCli.run("compat", copy.toString());
        assertOneLine(r, "the executable is damaged: " + reason);
        assertFalse(r.stderr().contains("not a Go program"), r.stderr());
    }

    /**
     * A copy whose .debug_info does not read (its zlib stream, or its unit header, overwritten)
     * runs and attaches as the intact one does: the doctor says the DWARF is damaged, in the
     * DWARF reader's words, with a rebuild or an intact copy as the remedy; the executable reads
     * (target.binary passes) and nothing asks for ptrace access. Before, the DWARF reader's
     * failure made the whole executable "unreadable", with a ptrace-permission remedy.
     */
    @Test
    void aCorruptDwarfIsNamedAsSuchNotAsAPermissionMatter(@TempDir Path dir) throws Exception {
        Path copy = copyOf(dir, "baddwarf");
        ElfFile.Section debugInfo = ElfFile.open(copy).section(".debug_info").orElseThrow();
        boolean compressed = (debugInfo.flags() & 0x800) != 0;   // SHF_COMPRESSED: a 24-byte Elf64_Chdr, then zlib
        try (RandomAccessFile f = new RandomAccessFile(copy.toFile(), "rw")) {
            f.seek(debugInfo.offset() + (compressed ? 24 : 4));   // the zlib header, or the first unit's version
            f.write(new byte[] {(byte) 0xa5, (byte) 0xa5, (byte) 0xa5, (byte) 0xa5});
        }
        String reason = assertThrows(ElfFormatException.class, () -> Dwarf.version(ElfFile.open(copy))).getMessage();

        try (FixtureProcess t = FixtureProcess.start(copy, "-hold", "forever")) {
            AgentCli.Result r = AgentCli.run("doctor", Integer.toString(t.pid()), "--json");
            assertEquals(0, r.exit(), r.stderr() + r.stdout());
            JsonNode doc = JSON.readTree(r.stdout());
            assertEquals("pass", check(doc, "target.go").get("status").asText(), check(doc, "target.go").toString());
            assertEquals("pass", check(doc, "target.binary").get("status").asText(), check(doc, "target.binary").toString());
            JsonNode debug = check(doc, "target.debuginfo");
            assertEquals("warn", debug.get("status").asText(), debug.toString());
            assertTrue(debug.get("summary").asText().startsWith("its DWARF is damaged: " + reason), debug.toString());
            assertTrue(debug.get("remedy").asText().startsWith("rebuild it"), debug.toString());
            for (JsonNode c : doc.get("checks")) {
                assertFalse(c.get("remedy").asText("").contains("ptrace"), c.toString());
            }
            // The goroutines are still read: the release's table describes the runtime, and the note says why.
            AgentCli.Result g = AgentCli.run("goroutines", Integer.toString(t.pid()), "--format", "json");
            assertEquals(0, g.exit(), g.stderr());
            JsonNode dump = JSON.readTree(g.stdout());
            assertEquals("table", dump.get("layoutSource").asText());
            assertTrue(dump.get("layout").asText().startsWith("table go1."), dump.get("layout").toString());
            assertTrue(dump.get("notes").toString().contains("its DWARF is damaged (" + reason + "): the layout comes from the table"),
                    dump.get("notes").toString());
            assertTrue(dump.get("goroutines").size() > 0);
            t.assertRunningUntraced();
        }
        assertOneLine(AgentCli.run("compat", copy.toString()), "its DWARF is damaged: " + reason);
    }

    private static Path copyOf(Path dir, String name) throws IOException {
        Path copy = dir.resolve(name);
        Files.copy(target, copy);
        Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("rwxr-xr-x"));
        return copy;
    }

    private static long endOfLoadedSegments(ElfFile elf) {
        return elf.segments().stream().filter(s -> s.type() == 1).mapToLong(s -> s.offset() + s.fileSize()).max().orElseThrow();
    }

    private static long end(ElfFile.Section s) {
        return s.offset() + s.size();
    }

    private static JsonNode check(JsonNode doc, String id) {
        for (JsonNode c : doc.get("checks")) {
            if (c.get("id").asText().equals(id)) {
                return c;
            }
        }
        throw new AssertionError("no check " + id + " in " + doc);
    }

    private static void assertOneLine(AgentCli.Result r, String expected) {
        assertEquals(2, r.exit(), "exit code; stdout: " + r.stdout() + " stderr: " + r.stderr());
        String err = r.stderr().strip();
        assertEquals(1, err.lines().count(), "one line: " + err);
        assertTrue(err.startsWith("attachproof: ") && err.contains(expected), err + "\nexpected: " + expected);
    }
}
