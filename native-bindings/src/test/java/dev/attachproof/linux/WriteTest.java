package dev.attachproof.linux;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

/** write(2) through both bindings, to a real pipe: the bytes arrive; with the reader gone, EPIPE. */
class WriteTest {
    @Test
    void bothBindingsWriteToAPipeAndSayEpipeOnceItsReaderHasGone() throws Exception {
        for (Linux linux : List.of(new FfmLinux(), new JnaLinux())) {
            // The child's standard input is a pipe (java.nio's Pipe is a socket pair here): its
            // write end is ours. The child echoes 10 bytes, then closes its end and says so.
            Set<String> before = fds();
            Process cat = new ProcessBuilder("sh", "-c", "head -c 10; exec 0<&-; echo; echo closed; exec sleep 60").start();
            int sink = writeEnd(before);

            for (ByteBuffer b : List.of(ByteBuffer.wrap("heap".getBytes(StandardCharsets.US_ASCII)),
                    ByteBuffer.allocateDirect(6).put("direct".getBytes(StandardCharsets.US_ASCII)).flip())) {
                int n = b.remaining();
                CallResult<Long> r = linux.write(sink, b);
                assertEquals(n, ((CallResult.Ok<Long>) assertInstanceOf(CallResult.Ok.class, r)).value(), linux.getClass().getSimpleName());
                assertEquals(n, b.remaining(), "the position is not moved");
            }
            java.io.BufferedReader out = new java.io.BufferedReader(new java.io.InputStreamReader(cat.getInputStream(), StandardCharsets.US_ASCII));
            assertEquals("heapdirect", out.readLine());
            assertEquals("closed", out.readLine());   // the pipe has no reader now
            CallResult<Long> r = linux.write(sink, ByteBuffer.wrap(new byte[] {1}));
            assertEquals(Errno.EPIPE, ((CallResult.Failed<Long>) assertInstanceOf(CallResult.Failed.class, r)).errno(),
                    linux.getClass().getSimpleName());
            cat.destroy();
            cat.waitFor();
        }
    }

    /** This process's open pipes, by what /proc/self/fd links them to ("pipe:[inode]"). */
    private static Set<String> fds() throws IOException {
        Set<String> out = new java.util.HashSet<>();
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            for (Path p : s.toList()) {
                try {
                    out.add(Files.readSymbolicLink(p).toString());
                } catch (IOException e) {
                    // the listing's own descriptor, closed by now
                }
            }
        }
        return out;
    }

    /** The pipe opened since {@code before}: its write end, as /proc/self/fdinfo's flags say (O_WRONLY). */
    private static int writeEnd(Set<String> before) throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            for (Path link : s.toList()) {
                String fd = link.getFileName().toString();
                String target;
                try {
                    target = Files.readSymbolicLink(link).toString();
                } catch (IOException e) {
                    continue;
                }
                if (before.contains(target) || !target.startsWith("pipe:")) {
                    continue;
                }
                String flags = Files.readAllLines(Path.of("/proc/self/fdinfo", fd)).stream()
                        .filter(l -> l.startsWith("flags:")).findFirst().orElseThrow().substring(6).strip();
                if ((Integer.parseInt(flags, 8) & 3) == 1) {
                    return Integer.parseInt(fd);
                }
            }
        }
        throw new IllegalStateException("no new pipe's write end in /proc/self/fd");
    }
}
