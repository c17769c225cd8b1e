package dev.attachproof.cache;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * One file per binary under a directory, each holding bytes derived from that binary. A file
 * is named by a hash of its {@link Key} and holds, before the bytes: a magic number, {@link
 * #VERSION}, the build of attachproof that wrote it, the whole key, the bytes' length and their
 * CRC-32C. {@link #load} returns the bytes only when all of these match; a file that is missing,
 * of another version or build, for another binary, cut short or changed is as good as none.
 * {@link #store} writes a temporary file and renames it over the old one (rename(2) is atomic
 * within a directory): a reader, or a concurrent snapshot of the same binary, sees a whole file
 * or the earlier one, never half of one.
 */
public final class BinaryCache {
    /** The environment variable that names the directory instead of the default; empty turns the cache off. */
    public static final String DIRECTORY_VARIABLE = "ATTACHPROOF_BINARY_CACHE";
    /** The layout of the file's header. */
    static final int VERSION = 1;
    private static final int MAGIC = 0x41504243;   // "APBC"
    /** Larger than the findings of any binary: a bigger file is not one of ours. */
    private static final long MAX_FILE = 16 << 20;
    private static final String SUFFIX = ".bin";
    private static final String TEMP_PREFIX = ".writing-";
    /** About 3 MB of findings: more binaries than one host runs at once. */
    static final int MAX_FILES = 256;

    private final Optional<Path> directory;
    private final String build;

    private BinaryCache(Optional<Path> directory, String build) {
        this.directory = directory;
        this.build = build;
    }

    /**
     * Which binary the bytes were derived from: its Go and GNU build ids (either may be ""), its
     * size and its modification time. The build ids name the content; size and time make a
     * binary patched in place, ids kept, another key.
     */
    public record Key(String goBuildId, String gnuBuildId, long size, long modifiedNanos) {
        /** Whether the ids name the content: a binary with neither is not cached (only its size and time would tell). */
        public boolean identifies() {
            return !goBuildId.isEmpty() || !gnuBuildId.isEmpty();
        }

        /**
         * A 64-bit FNV-1a hash of the key, in hex: two keys may share a name (the header tells
         * them apart), at worst costing a rebuild. Not SHA-256: starting the JDK's security
         * providers costs a cold JVM 20 to 170 ms, more than the cache saves on a small binary.
         */
        private String fileName() {
            long h = 0xcbf29ce484222325L;
            for (byte b : (goBuildId + "\n" + gnuBuildId + "\n" + size + "\n" + modifiedNanos).getBytes(StandardCharsets.UTF_8)) {
                h = (h ^ (b & 0xff)) * 0x100000001b3L;
            }
            return HexFormat.of().toHexDigits(h) + SUFFIX;
        }
    }

    /**
     * The cache the environment names: {@value #DIRECTORY_VARIABLE} when set (empty: none), else
     * {@code $XDG_CACHE_HOME/attachproof/binaries} (the XDG base directory rule: only an absolute
     * XDG_CACHE_HOME counts), else {@code $HOME/.cache/attachproof/binaries}, else none.
     */
    public static BinaryCache fromEnvironment(Map<String, String> env) {
        String named = env.get(DIRECTORY_VARIABLE);
        if (named != null) {
            return named.isEmpty() ? off() : in(Path.of(named));
        }
        String xdg = env.getOrDefault("XDG_CACHE_HOME", "");
        if (xdg.startsWith("/")) {
            return in(Path.of(xdg, "attachproof", "binaries"));
        }
        String home = env.getOrDefault("HOME", "");
        return home.startsWith("/") ? in(Path.of(home, ".cache", "attachproof", "binaries")) : off();
    }

    /** A cache in {@code directory}, made when first stored to. */
    public static BinaryCache in(Path directory) {
        return AgentBuild.identity().map(build -> new BinaryCache(Optional.of(directory), build)).orElseGet(BinaryCache::off);
    }

    /** No cache: nothing loads, nothing is stored. */
    public static BinaryCache off() {
        return new BinaryCache(Optional.empty(), "");
    }

    /** The file that holds {@code key}'s bytes, when there is a directory. */
    public Optional<Path> file(Key key) {
        return directory.map(d -> d.resolve(key.fileName()));
    }

    /** Whether bytes for {@code key} can be kept here: there is a directory and the key names a content. */
    public boolean accepts(Key key) {
        return directory.isPresent() && key.identifies();
    }

    /** The bytes stored for {@code key}, when a whole file of this version and build holds them. */
    public Optional<byte[]> load(Key key) {
        Optional<Path> file = file(key);
        if (!accepts(key)) {
            return Optional.empty();
        }
        try {
            // Only a regular file: reading a FIFO put in its place would wait for a writer forever.
            BasicFileAttributes a = Files.readAttributes(file.get(), BasicFileAttributes.class);
            if (!a.isRegularFile() || a.size() > MAX_FILE) {
                return Optional.empty();
            }
            return parse(Files.readAllBytes(file.get()), key);
        } catch (IOException e) {   // none, unreadable, or gone since its attributes were read
            return Optional.empty();
        }
    }

    private Optional<byte[]> parse(byte[] file, Key key) throws IOException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(file));
        if (in.readInt() != MAGIC || in.readInt() != VERSION || !in.readUTF().equals(build)
                || !new Key(in.readUTF(), in.readUTF(), in.readLong(), in.readLong()).equals(key)) {
            return Optional.empty();
        }
        int length = in.readInt();
        int crc = in.readInt();
        if (length < 0 || length != in.available()) {
            return Optional.empty();
        }
        byte[] bytes = in.readNBytes(length);
        return crc == crc(bytes) ? Optional.of(bytes) : Optional.empty();
    }

    /**
     * Stores {@code bytes} for {@code key}, replacing what was stored; false when it could not be
     * (no cache, a binary its ids do not name, a directory that cannot be made or written).
     */
    public boolean store(Key key, byte[] bytes) {
        Optional<Path> file = file(key);
        if (!accepts(key)) {
            return false;
        }
        Path dir = file.get().getParent();
        Path temp = null;
        try {
            if (!Files.isDirectory(dir)) {
                // Only its owner's: what is read back decides what a snapshot prints.
                Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            }
            // Not Files.createTempFile: its SecureRandom starts the JDK's security providers, tens
            // of milliseconds in a cold JVM. A name of this process and thread, made new or failing.
            Path name = dir.resolve(TEMP_PREFIX + ProcessHandle.current().pid() + "-" + Thread.currentThread().threadId()
                    + "-" + System.nanoTime());
            try (OutputStream out = Files.newOutputStream(name, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                temp = name;   // ours from here: deleted if what follows fails
                out.write(withHeader(key, bytes));
            }
            Files.move(temp, file.get(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            prune(dir);
            return true;
        } catch (IOException | UnsupportedOperationException e) {   // read-only, not ours, full, no atomic rename
            if (temp != null) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException ignored) {
                    // left behind: never loaded, pruned in time
                }
            }
            return false;
        }
    }

    /**
     * Deletes the least recently written files past {@link #MAX_FILES}: a sidecar that outlives
     * many releases of its service sees a new binary with each, and the directory must not
     * grow for ever. Runs only after a store, which a hit never does.
     */
    private static void prune(Path dir) throws IOException {
        List<Path> files;
        try (Stream<Path> listed = Files.list(dir)) {
            files = listed.filter(f -> f.getFileName().toString().endsWith(SUFFIX)
                    || f.getFileName().toString().startsWith(TEMP_PREFIX)).toList();   // a killed run's too
        }
        if (files.size() <= MAX_FILES) {
            return;
        }
        Map<Path, Long> written = new HashMap<>();
        for (Path f : files) {
            try {
                written.put(f, Files.getLastModifiedTime(f).toMillis());
            } catch (IOException e) {
                // gone already: another run pruned it
            }
        }
        List<Path> oldestFirst = written.keySet().stream().sorted(Comparator.comparing(written::get)).toList();
        for (Path f : oldestFirst.subList(0, Math.max(0, oldestFirst.size() - MAX_FILES))) {
            Files.deleteIfExists(f);
        }
    }

    private byte[] withHeader(Key key, byte[] bytes) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream(bytes.length + 256);
        try (DataOutputStream out = new DataOutputStream(b)) {
            out.writeInt(MAGIC);
            out.writeInt(VERSION);
            out.writeUTF(build);
            out.writeUTF(key.goBuildId());
            out.writeUTF(key.gnuBuildId());
            out.writeLong(key.size());
            out.writeLong(key.modifiedNanos());
            out.writeInt(bytes.length);
            out.writeInt(crc(bytes));
            out.write(bytes);
        }
        return b.toByteArray();
    }

    private static int crc(byte[] bytes) {
        CRC32C c = new CRC32C();
        c.update(bytes);
        return (int) c.getValue();
    }
}
