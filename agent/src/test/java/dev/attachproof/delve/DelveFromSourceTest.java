package dev.attachproof.delve;

import dev.attachproof.dwarf.Dwarf;
import dev.attachproof.elf.ElfFile;
import dev.attachproof.buildinfo.GoBuildInfo;
import dev.attachproof.testing.DelveBuild;
import dev.attachproof.testing.GoFixture;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A real Delve built from its module (v1.25.2, by Go 1.24.0, so with symbols and build info,
 * unlike Debian's): its version and supported range read from the binary itself, and Delve's
 * DWARF 5 rule, checked against what that Delve prints for a Go 1.25 target (DWARF 5) and a Go
 * 1.24 one (DWARF 4).
 */
class DelveFromSourceTest {
    private static final String DELVE = DelveBuild.DELVE;
    private static final String BUILT_WITH = DelveBuild.BUILT_WITH;
    private static Path dlv;

    @BeforeAll
    static void buildDelve() throws Exception {
        dlv = DelveBuild.dlv();
    }

    @Test
    void versionAndRangeComeFromTheBinary() {
        DelveBinary d = DelveBinary.identify(dlv).delve();
        assertEquals("1.25.2", d.version());
        assertEquals("build info", d.source());
        assertEquals(BUILT_WITH, d.builtWith());
        DelveRelease row = DelveTable.load().release(DELVE).orElseThrow();
        assertArrayEquals(new String[] {row.min(), row.max()}, d.symbolRange(), "symbols and compat.go at the tag agree");
    }

    @Test
    void aDwarf5TargetNeedsADelveBuiltWithGo125() throws Exception {
        Path target = GoFixture.build("target", "go1.25.0", false);
        ElfFile elf = ElfFile.open(target);
        assertEquals(5, Dwarf.version(elf));
        Compat c = Compat.evaluate(GoBuildInfo.read(elf).orElseThrow().goVersion(), true, 5, DelveBinary.identify(dlv),
                DelveTable.load(), null);
        assertEquals(Boolean.FALSE, c.supported(), "Go 1.25 is in range, but the DWARF is 5 and this Delve was built by 1.24");
        assertTrue(c.remedy().contains("GOTOOLCHAIN=go1.25.0 go install github.com/go-delve/delve/cmd/dlv@v1.25.2"), c.remedy());
        String printed = dlvExec(target);
        assertTrue(printed.contains(c.delveError()), "dlv printed:\n" + printed + "\nwe predicted:\n" + c.delveError());
    }

    @Test
    void aDwarf4TargetInRangeIsSupported() throws Exception {
        Path target = GoFixture.build("target", "go1.24.0", false);
        ElfFile elf = ElfFile.open(target);
        assertEquals(4, Dwarf.version(elf));
        Compat c = Compat.evaluate(GoBuildInfo.read(elf).orElseThrow().goVersion(), true, 4, DelveBinary.identify(dlv),
                DelveTable.load(), null);
        assertEquals(Boolean.TRUE, c.supported(), String.valueOf(c.delveError()));
        assertNull(c.remedy());
    }

    /** What `dlv exec` prints before it gives up (it checks on launch), killed after 20 s at most. */
    private static String dlvExec(Path target) throws Exception {
        Process p = new ProcessBuilder(List.of(dlv.toString(), "exec", target.toString(), "--allow-non-terminal-interactive=true"))
                .redirectErrorStream(true).start();
        p.getOutputStream().close();
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
        }
        return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }
}
