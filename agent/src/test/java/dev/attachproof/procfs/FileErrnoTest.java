package dev.attachproof.procfs;

import dev.attachproof.linux.Errno;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The errno of the JDK's own exceptions, made by real calls where this machine can make them:
 * the errno comes from the exception's type or from a whole strerror text, never a fragment.
 */
class FileErrnoTest {
    @Test
    void aReadErrorIsTheWholeStrerrorText() throws IOException {
        // Page 0 is never mapped: pread of /proc/self/mem there fails with EIO, which the JDK
        // reports as an IOException whose message is "Input/output error" and nothing else.
        try (FileChannel mem = FileChannel.open(Path.of("/proc/self/mem"), StandardOpenOption.READ)) {
            IOException e = assertThrows(IOException.class, () -> mem.read(ByteBuffer.allocate(8), 0));
            assertEquals(Optional.of(Errno.EIO), FileErrno.of(e), e.toString());
        }
        Path dir = Files.createTempDirectory("errno");
        IOException isDir = assertThrows(IOException.class, () -> Files.readAllBytes(dir));
        assertEquals(Optional.of(Errno.EISDIR), FileErrno.of(isDir), isDir.toString());
    }

    @Test
    void anOpenErrorIsTheExceptionsTypeOrReason() {
        NoSuchFileException missing = assertThrows(NoSuchFileException.class,
                () -> Files.readAllBytes(Path.of("/proc/self/no-such-file")));
        assertEquals(Optional.of(Errno.ENOENT), FileErrno.of(missing));
        assertEquals(Optional.of(Errno.EACCES), FileErrno.of(new AccessDeniedException("/proc/1/mem")));
        // What translateToIOException makes of any other errno: the path, and strerror as the reason.
        assertEquals(Optional.of(Errno.EPERM), FileErrno.of(new FileSystemException("/proc/1/mem", null, "Operation not permitted")));
        assertEquals(Optional.of(Errno.ESRCH), FileErrno.of(new FileSystemException("/proc/1/stat", null, "No such process")));
    }

    @Test
    void textThatIsNoErrnosGivesNone() {
        assertEquals(Optional.empty(), FileErrno.of(new IOException("Permission denied while reading")));
        assertEquals(Optional.empty(), FileErrno.of(new IOException("Stream closed")));
        assertEquals(Optional.empty(), FileErrno.of(new IOException((String) null)));
        assertEquals(Optional.empty(), FileErrno.of(new FileSystemException("/x", null,
                "Too many levels of symbolic links or unable to access attributes of symbolic link")));
        assertEquals(Optional.empty(), FileErrno.of(new FileSystemException("/x")));
    }
}
