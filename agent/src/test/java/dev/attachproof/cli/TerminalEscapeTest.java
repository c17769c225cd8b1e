package dev.attachproof.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.attachproof.testing.AgentCli;
import dev.attachproof.testing.FixtureProcess;
import dev.attachproof.testing.GoFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A Go process whose names are built to rewrite a terminal: its source directory is named with
 * ESC[2J (clear the screen), ESC]0;…BEL (set the window title), U+2028 and the one-byte CSI
 * U+009B, so every frame of its tracebacks carries them; its build info's module path, patched in
 * the binary, carries those and a CR; its process name (comm) carries ESC, CR, BEL and U+009B.
 * Through a pseudo-terminal, {@code ps}, {@code doctor}, {@code compat} and {@code goroutines}
 * must show each of them escaped and none raw. To a pipe or a file, the goroutine dump must stay
 * Go's own bytes; JSON must carry them as escapes that read back as the same strings.
 */
class TerminalEscapeTest {
    /** Go refuses a CR in a package directory ("invalid package directory"), so the path has none. */
    private static final String DIRECTORY = "src\u001b[2J\u001b]0;pwned\u0007\u2028\u009b";
    private static final String DIRECTORY_ESCAPED = "src\\x1b[2J\\x1b]0;pwned\\a\\u2028\\u009b";
    /** The module path's placeholder and what replaces it in the build info: the same 18 UTF-8 bytes. */
    private static final String PLACEHOLDER = "z".repeat(18);
    private static final String HOSTILE = "\u001b[2J\u001b]0;x\u0007\r\u2028\u009bzz";
    private static final String MODULE_ESCAPED = "example.com/\\x1b[2J\\x1b]0;x\\a\\r\\u2028\\u009bzz";
    /** PR_SET_NAME keeps 15 bytes. No LF: the kernel writes one as backslash-n in /proc/PID/comm itself. */
    private static final String COMM = "n\u001b[2J\r\u0007\u009bx";
    private static final String COMM_ESCAPED = "n\\x1b[2J\\r\\a\\u009bx";

    private static Path binary;
    private static FixtureProcess target;

    @BeforeAll
    static void startTheHostileProcess() throws Exception {
        binary = buildHostile();
        target = FixtureProcess.start(List.of("env", "ESCAPE_COMM=" + COMM, binary.toString()));
    }

    @AfterAll
    static void stop() {
        if (target != null) {
            target.close();
        }
    }

    @Test
    void onATerminalEveryNameTheTargetChoseIsEscaped() throws Exception {
        assumeTrue(onPath("script"), "util-linux script(1) is not installed: no pseudo-terminal to test with");
        String pid = Integer.toString(target.pid());
        check(onTerminal("ps"), COMM_ESCAPED, MODULE_ESCAPED);
        check(onTerminal("doctor", pid), COMM_ESCAPED, MODULE_ESCAPED);
        check(onTerminal("compat", pid), MODULE_ESCAPED);
        check(onTerminal("goroutines", pid), "main.parked()\n\t/", DIRECTORY_ESCAPED + "/main.go:");
        check(onTerminal("goroutines", pid, "--group"), DIRECTORY_ESCAPED + "/main.go:");
        target.assertRunningUntraced();
    }

    @Test
    void toAPipeOrAFileTheDumpIsGosOwnBytes() throws Exception {
        String pid = Integer.toString(target.pid());
        AgentCli.Result piped = AgentCli.run("goroutines", pid);
        assertEquals(0, piped.exit(), piped.stderr());
        Path file = Files.createTempFile("goroutines", ".txt");
        try {
            AgentCli.Result written = AgentCli.run("goroutines", pid, "-o", file.toString());
            assertEquals(0, written.exit(), written.stderr());
            String gos = parkedBlock(gosOwnDump());
            assertTrue(gos.contains(DIRECTORY + "/main.go:"), "Go prints the path raw:\n" + gos);
            assertEquals(gos, parkedBlock(piped.stdout()));
            assertEquals(gos, parkedBlock(Files.readString(file, StandardCharsets.UTF_8)));
        } finally {
            Files.deleteIfExists(file);
        }
        target.assertRunningUntraced();
    }

    /**
     * JSON escapes every C0 control (JSON demands it), and DEL, C1, U+2028 and U+2029 too, so a
     * document printed on a terminal carries none raw; a JSON reader reads the names back whole.
     */
    @Test
    void jsonCarriesTheNamesAsEscapesThatReadBack() throws Exception {
        String pid = Integer.toString(target.pid());
        AgentCli.Result goroutines = AgentCli.run("goroutines", pid, "--format", "json");
        AgentCli.Result ps = AgentCli.run("ps", "--json");
        AgentCli.Result doctor = AgentCli.run("doctor", pid, "--json");
        for (AgentCli.Result r : List.of(goroutines, ps, doctor)) {
            assertEquals(0, r.exit(), r.stderr());
            assertNoRawControl(r.stdout().replace("\n", ""));
        }
        boolean sawPath = false;
        for (JsonNode g : new ObjectMapper().readTree(goroutines.stdout()).get("goroutines")) {
            for (JsonNode f : g.get("frames")) {
                sawPath |= f.get("file").asText().contains("/" + DIRECTORY + "/main.go");
            }
        }
        assertTrue(sawPath, "the source path reads back as it is");
        boolean sawComm = false;
        for (JsonNode p : new ObjectMapper().readTree(ps.stdout()).get("processes")) {
            sawComm |= p.get("pid").asInt() == target.pid() && p.get("name").asText().equals(COMM);
        }
        assertTrue(sawComm, ps.stdout());
    }

    /** {@code output} holds every one of {@code expected} and no raw control. */
    private static void check(String output, String... expected) {
        for (String e : expected) {
            assertTrue(output.contains(e), "expected " + e + " in:\n" + output);
        }
        assertNoRawControl(output.replace("\n", ""));
    }

    private static void assertNoRawControl(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean control = c < 0x20 && c != '\t' || (c >= 0x7f && c <= 0x9f) || c == 0x2028 || c == 0x2029;
            assertFalse(control, String.format("raw U+%04X at %d: ...%s...", (int) c, i,
                    s.substring(Math.max(0, i - 60), Math.min(s.length(), i + 20)).replace("\u001b", "<ESC>")));
        }
    }

    /**
     * The CLI with stdout, stdin and stderr a pseudo-terminal (script -q -e -c), and NO_COLOR set
     * so no ESC of our own is there either. The terminal's ONLCR turns each newline into CR LF:
     * turned back, any CR left came from the target.
     */
    private static String onTerminal(String... args) throws Exception {
        List<String> command = new ArrayList<>(AgentCli.javaCommand("dev.attachproof.cli.Main"));
        command.addAll(List.of(args));
        StringBuilder cmd = new StringBuilder();
        for (String a : command) {
            cmd.append(cmd.isEmpty() ? "" : " ").append('\'').append(a.replace("'", "'\\''")).append('\'');
        }
        ProcessBuilder pb = new ProcessBuilder("script", "-q", "-e", "-c", cmd.toString(), "/dev/null")
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectErrorStream(true);
        pb.environment().put("NO_COLOR", "1");
        Process p = pb.start();
        var out = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "";
            }
        });
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("attachproof " + String.join(" ", args) + " did not finish in 60 s");
        }
        String text = out.get().replace("\r\n", "\n");
        assertTrue(p.exitValue() <= 1, "exit " + p.exitValue() + ":\n" + text);
        return text;
    }

    /** The fixture's own runtime.Stack(all), asked for with SIGUSR2. */
    private static String gosOwnDump() throws Exception {
        assertEquals(0, new ProcessBuilder("kill", "-USR2", Integer.toString(target.pid())).start().waitFor());
        StringBuilder dump = new StringBuilder();
        for (String line = target.nextLine(30); !"STACKS END".equals(line); line = target.nextLine(30)) {
            assertTrue(line != null, "the fixture printed no dump");
            if (!line.equals("STACKS BEGIN")) {
                dump.append(line).append('\n');
            }
        }
        return dump.toString();
    }

    /** The block of the goroutine parked in main.parked: its header, frames and "created by". */
    private static String parkedBlock(String dump) {
        for (String block : dump.split("\n\n")) {
            if (block.contains("\nmain.parked()\n")) {
                return block.strip();
            }
        }
        throw new AssertionError("no goroutine in main.parked in:\n" + dump);
    }

    /**
     * agent/go/escape built in a directory named {@link #DIRECTORY} under target/, as module
     * example.com/PLACEHOLDER, then the placeholder replaced in the binary's build info (Go
     * refuses such a module path; a binary can hold anything).
     */
    private static Path buildHostile() throws Exception {
        assumeTrue(onPath("go"), "no go on PATH");
        assumeTrue("UTF-8".equals(System.getProperty("sun.jnu.encoding")),
                "file names are not UTF-8 in this JVM (sun.jnu.encoding " + System.getProperty("sun.jnu.encoding")
                        + "): run under a UTF-8 locale, e.g. LANG=C.UTF-8");
        Path dir = Path.of("target/escape-fixture").toAbsolutePath().resolve(DIRECTORY);
        Files.createDirectories(dir);
        Files.copy(GoFixture.repo().resolve("agent/go/escape/main.go"), dir.resolve("main.go"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(dir.resolve("go.mod"), "module example.com/" + PLACEHOLDER + "\n\ngo 1.19\n");
        Path out = dir.getParent().resolve("escape");
        // go build leaves an output whose build id is current alone, and the patch keeps the id.
        Files.deleteIfExists(out);
        ProcessBuilder pb = new ProcessBuilder("go", "build", "-o", out.toString(), ".").directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().put("CGO_ENABLED", "0");
        Process go = pb.start();
        String log = new String(go.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, go.waitFor(), log);

        byte[] image = Files.readAllBytes(out);
        int magic = indexOf(image, "\u00ff Go buildinf:".getBytes(StandardCharsets.ISO_8859_1), 0, image.length);
        assertTrue(magic >= 0, "no build info");
        byte[] from = PLACEHOLDER.getBytes(StandardCharsets.UTF_8);
        byte[] to = HOSTILE.getBytes(StandardCharsets.UTF_8);
        assertEquals(from.length, to.length);
        int patched = 0;
        for (int at = indexOf(image, from, magic, Math.min(image.length, magic + 65536)); at >= 0;
                at = indexOf(image, from, at + 1, Math.min(image.length, magic + 65536))) {
            System.arraycopy(to, 0, image, at, to.length);
            patched++;
        }
        assertEquals(2, patched, "the module path in \"path\" and \"mod\"");
        Files.write(out, image);
        return out;
    }

    private static int indexOf(byte[] in, byte[] what, int from, int to) {
        outer:
        for (int i = from; i + what.length <= to; i++) {
            for (int j = 0; j < what.length; j++) {
                if (in[i + j] != what[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static boolean onPath(String command) {
        return java.util.Arrays.stream(System.getenv().getOrDefault("PATH", "").split(":"))
                .anyMatch(d -> !d.isEmpty() && Files.isExecutable(Path.of(d, command)));
    }
}
