package dev.attachproof.testing;

import dev.attachproof.report.GoroutinesText;
import dev.attachproof.snapshot.GoroutineSnapshot;
import dev.attachproof.snapshot.SnapshotException;
import dev.attachproof.snapshot.TargetCapture;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A committed capture of the stacks fixture ({@link TargetCapture}, made by the hidden {@code
 * __capture PID FILE} command) and how to rebuild the executable it was taken of. Declared here
 * once: CapturedSnapshotTest replays every case; the amd64 ones are captured on the host, the
 * arm64 ones in Arm64KernelTest's VM (it-tests), which builds their fixtures with {@link
 * #executable()} so that the host rebuilds the very executable the VM ran.
 *
 * @param file name under {@link #DIR}
 */
public record CaptureCase(String file, String program, String toolchain, boolean stripped, GoFixture.Link link, String arch) {
    public static final Path DIR = GoFixture.repo().resolve("agent/src/test/resources/dev/attachproof/captures");
    private static final String SUFFIX = ".capture.gz";

    public static Stream<CaptureCase> all() {
        return Stream.of(
                new CaptureCase("stacks-go1.22.0-amd64.capture.gz", "stacks", "go1.22.0", false, GoFixture.Link.INTERNAL, "amd64"),
                // A PIE (the load bias) without symbols or DWARF (the layout table, allgs from code).
                new CaptureCase("stacks-go1.25.0-amd64-pie-stripped.capture.gz", "stacks", "go1.25.0", true,
                        GoFixture.Link.EXTERNAL_PIE, "amd64"),
                new CaptureCase("stacks-go1.22.0-arm64.capture.gz", "stacks", "go1.22.0", false, GoFixture.Link.INTERNAL, "arm64"),
                // arm64 without symbols or DWARF, by the newest release of the layout table.
                new CaptureCase("stacks-go1.26.0-arm64-stripped.capture.gz", "stacks", "go1.26.0", true,
                        GoFixture.Link.INTERNAL, "arm64"));
    }

    /** The cases of one CPU ("amd64", "arm64"). */
    public static Stream<CaptureCase> of(String arch) {
        return all().filter(c -> c.arch().equals(arch));
    }

    /** The file name without its suffix, e.g. "stacks-go1.22.0-arm64". */
    public String name() {
        return file.substring(0, file.length() - SUFFIX.length());
    }

    public Path committed() {
        return DIR.resolve(file);
    }

    /** Built by {@link GoFixture#build(String, String, boolean, GoFixture.Link, String, boolean)} with -trimpath. */
    public Path executable() {
        return GoFixture.build(program, toolchain, stripped, link, arch, true);
    }

    public static TargetCapture read(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return TargetCapture.read(in);
        }
    }

    /**
     * Replays {@code capture} on {@link #executable()}: it must print the dump the live run
     * printed, byte for byte, and that dump must hold what a capture is kept for.
     */
    public void assertReplays(TargetCapture capture) throws SnapshotException {
        assertEquals(arch, capture.arch());
        GoroutineSnapshot s = GoroutineSnapshot.replay(capture, executable());
        String replayed = GoroutinesText.write(s, false);
        if (madeBeforeArgumentWords(capture.text())) {
            // The arm64 captures were made (in it-tests' VM) when every physical frame with
            // arguments printed "(...)": the replay reads the words from the captured stacks,
            // and is compared with them put back to "(...)".
            String withoutWords = WORDS.matcher(replayed).replaceAll("$1(...)");
            assertTrue(!withoutWords.equals(replayed), "the replay prints argument words");
            replayed = withoutWords;
        }
        assertEquals(capture.text(), replayed);
        // What the capture exercises, so that a capture that lost it is noticed.
        assertTrue(capture.text().contains("[running]:\nmain.spin"), "a running goroutine, unwound from its thread's registers");
        assertTrue(capture.text().contains("frames elided..."), "the 120-deep recursion");
    }

    /** A frame's line with argument words: the function, then words that start with a hex number, "{", "_" or "...". */
    private static final java.util.regex.Pattern WORDS = java.util.regex.Pattern.compile(
            "(?m)^([^\\t\\n][^\\n]*?)\\((?:0x|\\{|_,|_\\)|\\.\\.\\., )[^\\n]*\\)$");

    /** Whether {@code text} was printed before frames carried their argument words (none of its frames has any). */
    static boolean madeBeforeArgumentWords(String text) {
        return !WORDS.matcher(text).find();
    }

    @Override
    public String toString() {
        return file;
    }
}
