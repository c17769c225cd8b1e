package dev.attachproof.procfs;

import dev.attachproof.linux.Errno;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.util.Optional;

/**
 * The errno behind an IOException from the JDK's file calls (java.nio.file, FileChannel), for
 * the files this tool reads with them (/proc, /sys, /proc/PID/mem). The JDK keeps no errno in its
 * exceptions, so it is read from what the JDK does with it:
 * <ul>
 *   <li>opening a file, sun.nio.fs.UnixException.translateToIOException turns EACCES into
 *   {@link AccessDeniedException}, ENOENT into {@link NoSuchFileException}, EEXIST into
 *   {@link FileAlreadyExistsException}, and any other errno into a {@link FileSystemException}
 *   whose {@link FileSystemException#getReason() reason} is strerror(errno);</li>
 *   <li>reading an open file (read, pread), the JDK's native code throws a plain IOException
 *   whose whole message is strerror(errno) (JNU_ThrowIOExceptionWithLastError): that text is the
 *   only trace of the number there is, and it is matched whole against glibc's texts
 *   ({@link Errno#described}), never searched for a fragment.</li>
 * </ul>
 * A text that is no errno's (a message of the JDK's own) gives no errno.
 */
public final class FileErrno {
    private FileErrno() {}

    /** The errno {@code e} stands for, when the JDK's exception says which. */
    public static Optional<Errno> of(IOException e) {
        return switch (e) {
            case AccessDeniedException a -> Optional.of(Errno.EACCES);
            case NoSuchFileException n -> Optional.of(Errno.ENOENT);
            case FileAlreadyExistsException x -> Optional.of(Errno.EEXIST);
            case FileSystemException f -> Optional.ofNullable(f.getReason()).flatMap(Errno::described);
            default -> Optional.ofNullable(e.getMessage()).flatMap(Errno::described);
        };
    }
}
