package dev.attachproof.procfs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * What a path names, asked before a file is opened: opening a FIFO waits for a writer forever,
 * a character device such as /dev/zero never ends, a directory holds no bytes. A symbolic link
 * is followed (a Kubernetes secret's, /proc/PID/exe).
 */
public final class FileKind {
    private FileKind() {}

    /** Empty for a regular file; else what it is instead ("a FIFO", "a character device", ...). */
    public static Optional<String> notRegular(Path path) throws IOException {
        int mode = (Integer) Files.getAttribute(path, "unix:mode");
        return Optional.ofNullable(switch (mode & 0170000) {   // S_IFMT and the S_IF* kinds, <sys/stat.h>
            case 0100000 -> null;
            case 0040000 -> "a directory";
            case 0010000 -> "a FIFO";
            case 0020000 -> "a character device";
            case 0060000 -> "a block device";
            case 0140000 -> "a socket";
            default -> "neither a file nor a directory (st_mode " + Integer.toOctalString(mode) + ")";
        });
    }
}
