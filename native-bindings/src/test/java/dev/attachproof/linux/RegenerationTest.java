package dev.attachproof.linux;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The committed bindings are what src/main/jextract/README.md says: regenerate.sh, run with a
 * jextract on PATH into a scratch folder, writes the same files, byte for byte. Skipped, with the
 * reason, where no jextract (or the arm64 headers) is installed: no registry has jextract, and
 * the project never commits or builds it (README.md, "Which jextract, which headers").
 */
class RegenerationTest {
    private static final Path JEXTRACT = Path.of("src/main/jextract");
    private static final Path GENERATED = Path.of("src/main/java/dev/attachproof/linux/generated");

    @Test
    void regeneratingGivesTheCommittedBindings() throws Exception {
        Assumptions.assumeTrue(onPath("jextract"),
                "no jextract on PATH: build openjdk/jextract by hand outside the repository (src/main/jextract/README.md)");
        Assumptions.assumeTrue(Files.isDirectory(Path.of("/opt/arm64-headers/usr/include/aarch64-linux-gnu")),
                "no arm64 headers in /opt/arm64-headers (src/main/jextract/README.md, 'Regenerating')");
        Path scratch = Files.createTempDirectory("regenerated");
        Process p = new ProcessBuilder("sh", JEXTRACT.resolve("regenerate.sh").toString(), scratch.toString())
                .redirectErrorStream(true).start();
        String said = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "regenerate.sh took more than 5 minutes");
        assertEquals(0, p.exitValue(), said);

        TreeMap<Path, byte[]> committed = files(GENERATED);
        TreeMap<Path, byte[]> regenerated = files(scratch.resolve("dev/attachproof/linux/generated"));
        assertEquals(committed.keySet(), regenerated.keySet(), "the same files");
        assertTrue(committed.containsKey(Path.of("x86_64/LinuxHeaders.java")) && committed.containsKey(Path.of("aarch64/LinuxHeaders.java")),
                committed.keySet().toString());
        committed.forEach((file, bytes) -> assertArrayEquals(bytes, regenerated.get(file), file + " differs"));
    }

    private static TreeMap<Path, byte[]> files(Path root) throws IOException {
        TreeMap<Path, byte[]> out = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path f : walk.filter(Files::isRegularFile).toList()) {
                out.put(root.relativize(f), Files.readAllBytes(f));
            }
        }
        return out;
    }

    private static boolean onPath(String program) {
        return List.of(System.getenv().getOrDefault("PATH", "").split(":")).stream()
                .anyMatch(d -> !d.isEmpty() && Files.isExecutable(Path.of(d, program)));
    }
}
