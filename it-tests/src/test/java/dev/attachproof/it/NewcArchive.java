package dev.attachproof.it;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/**
 * A cpio archive in the "newc" format, the one the kernel unpacks as an initramfs
 * (Documentation/driver-api/early-userspace/buffer-format.rst): per entry a 110-byte ASCII
 * header, the NUL-terminated name and the data, each padded to 4 bytes; a TRAILER!!! entry ends
 * it. Everything belongs to root. The kernel creates a file only inside an existing directory,
 * so each entry's parents are written first, once.
 */
final class NewcArchive implements AutoCloseable {
    private static final int S_IFDIR = 0040000;
    private static final int S_IFREG = 0100000;
    private static final int S_IFCHR = 0020000;
    private static final int S_IFLNK = 0120000;

    private final OutputStream out;
    private final Set<String> directories = new HashSet<>();
    private long written;
    private int inode = 1;

    NewcArchive(OutputStream out) {
        this.out = out;
    }

    /** A directory, and any missing parent (0755). */
    void directory(String path, int permissions) throws IOException {
        parents(path);
        if (directories.add(path)) {
            entry(path, S_IFDIR | permissions, 2, 0, 0, 0, 0);
        }
    }

    /** A regular file with {@code source}'s content and modification time (symbolic links followed). */
    void file(String path, Path source, int permissions) throws IOException {
        parents(path);
        long size = Files.size(source);
        long mtime = Files.getLastModifiedTime(source).toMillis() / 1000;
        entry(path, S_IFREG | permissions, 1, mtime, size, 0, 0);
        written += Files.copy(source, out);
        pad();
    }

    void file(String path, byte[] content, int permissions) throws IOException {
        withContent(path, S_IFREG | permissions, content);
    }

    /** A symbolic link to {@code target}: the entry's data is the target's path. */
    void symlink(String path, String target) throws IOException {
        withContent(path, S_IFLNK | 0777, target.getBytes(StandardCharsets.UTF_8));
    }

    private void withContent(String path, int mode, byte[] content) throws IOException {
        parents(path);
        entry(path, mode, 1, 0, content.length, 0, 0);
        out.write(content);
        written += content.length;
        pad();
    }

    void characterDevice(String path, int permissions, int major, int minor) throws IOException {
        parents(path);
        entry(path, S_IFCHR | permissions, 1, 0, 0, major, minor);
    }

    /** The trailer; the stream stays open. */
    @Override
    public void close() throws IOException {
        entry("TRAILER!!!", 0, 1, 0, 0, 0, 0);
        out.flush();
    }

    private void parents(String path) throws IOException {
        int slash = path.lastIndexOf('/');
        if (slash > 0) {
            directory(path.substring(0, slash), 0755);
        }
    }

    private void entry(String name, int mode, int links, long mtime, long size, int rdevMajor, int rdevMinor) throws IOException {
        if (name.startsWith("/")) {
            throw new IllegalArgumentException("archive paths are relative: " + name);
        }
        byte[] nameBytes = (name + "\0").getBytes(StandardCharsets.UTF_8);
        // magic, then ino mode uid gid nlink mtime filesize devmajor devminor rdevmajor rdevminor namesize check
        String header = "070701" + hex(inode++) + hex(mode) + hex(0) + hex(0) + hex(links) + hex(mtime) + hex(size)
                + hex(0) + hex(0) + hex(rdevMajor) + hex(rdevMinor) + hex(nameBytes.length) + hex(0);
        out.write(header.getBytes(StandardCharsets.US_ASCII));
        out.write(nameBytes);
        written += header.length() + nameBytes.length;
        pad();
    }

    private static String hex(long value) {
        if (value < 0 || value > 0xffffffffL) {
            throw new IllegalArgumentException("does not fit a newc header field: " + value);
        }
        return String.format("%08x", value);
    }

    private void pad() throws IOException {
        while (written % 4 != 0) {
            out.write(0);
            written++;
        }
    }
}
