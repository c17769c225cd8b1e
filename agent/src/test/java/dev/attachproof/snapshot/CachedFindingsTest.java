package dev.attachproof.snapshot;

import dev.attachproof.buildinfo.GoExecutable;
import dev.attachproof.cache.BinaryCache;
import dev.attachproof.delve.GoVersion;
import dev.attachproof.elf.ElfFile;
import dev.attachproof.golang.BinaryFindingsCodec;
import dev.attachproof.golang.BinaryFindings;
import dev.attachproof.linux.Linux;
import dev.attachproof.procfs.ProcFs;
import dev.attachproof.ptrace.Tracer;
import dev.attachproof.report.GoroutinesText;
import dev.attachproof.testing.AgentCli;
import dev.attachproof.testing.FixtureProcess;
import dev.attachproof.testing.GoFixture;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The cache of binary findings on real fixture binaries: a second read of the same file takes
 * the findings from the cache, and they are what the binary gives; a cache file that is cut
 * short, changed, of another version or another binary's is ignored and written again; a cache
 * that cannot be written costs nothing but the time. Then live: a second snapshot of the same
 * process is served by the cache and prints the same dump as one without a cache.
 */
class CachedFindingsTest {
    private static Path go126;
    private static Path go119;

    @BeforeAll
    static void build() {
        go126 = GoFixture.build("target");   // the go on PATH: Go 1.26's moduledata is found through DWARF
        go119 = GoFixture.build("target", GoFixture.DEBIAN_GO_1_19, false);
    }

    @Test
    void aSecondReadTakesFromTheCacheWhatTheBinaryGives(@TempDir Path dir) throws Exception {
        BinaryCache cache = BinaryCache.in(dir);
        CachedFindings.Found first = read(go126, cache);
        assertEquals(CacheUse.MISS, first.use());
        CachedFindings.Found second = read(go126, cache);
        assertEquals(CacheUse.HIT, second.use());
        assertArrayEquals(encoded(first), encoded(second), "the findings from the cache are the binary's");
        assertArrayEquals(encoded(read(go126, BinaryCache.off())), encoded(second), "and those of a read without cache");
        assertEquals(1, cacheFiles(dir), "one file per binary");
        assertEquals(second.runtime().pclntab().textStart(), read(go126, BinaryCache.off()).runtime().pclntab().textStart());
    }

    @Test
    void aFileCutShortIsRebuilt(@TempDir Path dir) throws Exception {
        assertRebuiltAfter(dir, go126, bytes -> java.util.Arrays.copyOf(bytes, bytes.length - 9));
        assertRebuiltAfter(dir, go126, bytes -> java.util.Arrays.copyOf(bytes, 6));
        assertRebuiltAfter(dir, go126, bytes -> new byte[0]);
    }

    @Test
    void aChangedByteIsRebuilt(@TempDir Path dir) throws Exception {
        assertRebuiltAfter(dir, go126, bytes -> {
            byte[] b = bytes.clone();
            b[b.length - 40] ^= 0x10;   // inside the findings: the checksum no longer matches
            return b;
        });
        assertRebuiltAfter(dir, go126, bytes -> {
            byte[] b = bytes.clone();
            b[b.length - 1] ^= 0x01;
            return b;
        });
    }

    @Test
    void anotherVersionIsRebuilt(@TempDir Path dir) throws Exception {
        assertRebuiltAfter(dir, go126, bytes -> {
            byte[] b = bytes.clone();
            ByteBuffer.wrap(b).putInt(4, ByteBuffer.wrap(b).getInt(4) + 1);   // the header's version, after the magic
            return b;
        });
    }

    @Test
    void anotherBinarysFileIsNotTaken(@TempDir Path dir) throws Exception {
        BinaryCache cache = BinaryCache.in(dir);
        assertEquals(CacheUse.MISS, read(go119, cache).use());
        Path of119 = cache.file(key(go119)).orElseThrow();
        Path of126 = cache.file(key(go126)).orElseThrow();
        assertNotEquals(of119, of126);
        Files.copy(of119, of126);   // Go 1.19's findings where Go 1.26's belong
        CachedFindings.Found f = read(go126, cache);
        assertEquals(CacheUse.MISS, f.use(), "the header names another binary: ignored, rebuilt");
        assertArrayEquals(encoded(read(go126, BinaryCache.off())), encoded(f));
        assertEquals(CacheUse.HIT, read(go126, cache).use());
        assertEquals(CacheUse.HIT, read(go119, cache).use(), "the other binary's file is its own still");
    }

    @Test
    void aDirectoryThatCannotBeMadeMeansNoCache(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("a-file"), "not a directory");
        BinaryCache cache = BinaryCache.in(file.resolve("binaries"));   // ENOTDIR, even for root
        assertEquals(CacheUse.OFF, read(go126, cache).use());
        assertEquals(CacheUse.OFF, read(go126, cache).use());
        assertArrayEquals(encoded(read(go126, BinaryCache.off())), encoded(read(go126, cache)));
    }

    /**
     * Live: the first snapshot stores, the second is served by the cache, and both print what a
     * snapshot without a cache prints. The fixture parks its goroutines for good; the dumps are
     * compared without the system goroutines (the GC's workers wake when they will).
     */
    @Test
    void aSecondSnapshotUsesTheCacheAndPrintsTheSame(@TempDir Path dir) throws Exception {
        BinaryCache cache = BinaryCache.in(dir);
        try (FixtureProcess t = FixtureProcess.start(go126, "-hold", "forever", "-goroutines", "50")) {
            snapshot(t.pid(), BinaryCache.off());   // lets main finish writing READY before the snapshots compared
            GoroutineSnapshot first = snapshot(t.pid(), cache);
            GoroutineSnapshot second = snapshot(t.pid(), cache);
            GoroutineSnapshot none = snapshot(t.pid(), BinaryCache.off());
            t.assertRunningUntraced();
            assertEquals(CacheUse.MISS, first.binaryCache());
            assertEquals(CacheUse.HIT, second.binaryCache());
            assertEquals(CacheUse.OFF, none.binaryCache());
            assertTrue(second.phaseMicros().containsKey("binary"));
            assertEquals(GoroutinesText.write(none, false), GoroutinesText.write(second, false));
            assertEquals(GoroutinesText.write(none, false), GoroutinesText.write(first, false));
            assertEquals(none.layoutSource(), second.layoutSource());
            assertEquals(none.listMethod(), second.listMethod());
            assertEquals(none.notes(), second.notes());
        }
    }

    /** The CLI: the environment variable moves the cache, --timing and the JSON say whether it served. */
    @Test
    void theCliSaysWhetherTheCacheServed(@TempDir Path dir) throws Exception {
        Map<String, String> env = Map.of(BinaryCache.DIRECTORY_VARIABLE, dir.resolve("cache").toString());
        Map<String, String> unwritable = Map.of(BinaryCache.DIRECTORY_VARIABLE,
                Files.writeString(dir.resolve("a-file"), "").resolve("cache").toString());
        try (FixtureProcess t = FixtureProcess.start(go119, "-hold", "forever")) {
            String pid = Integer.toString(t.pid());
            AgentCli.Result cold = AgentCli.runWithEnvironment(env, "goroutines", pid, "--timing");
            AgentCli.Result warm = AgentCli.runWithEnvironment(env, "goroutines", pid, "--timing");
            AgentCli.Result json = AgentCli.runWithEnvironment(env, "goroutines", pid, "--format", "json");
            AgentCli.Result off = AgentCli.runWithEnvironment(unwritable, "goroutines", pid, "--format", "json");
            t.assertRunningUntraced();
            assertEquals(0, cold.exit(), cold.stderr());
            assertTrue(cold.stderr().contains(" binary ") && cold.stderr().contains(" (cache miss) "), cold.stderr());
            assertEquals(0, warm.exit(), warm.stderr());
            assertTrue(warm.stderr().contains(" (cache hit) "), warm.stderr());
            assertEquals(cold.stdout(), warm.stdout());
            assertEquals(0, json.exit(), json.stderr());
            assertTrue(json.stdout().contains("\"binaryCache\": \"hit\""), json.stdout().lines().limit(25).toList().toString());
            assertEquals(0, off.exit(), off.stderr());
            assertTrue(off.stdout().contains("\"binaryCache\": \"off\""), off.stdout().lines().limit(25).toList().toString());
            assertFalse(off.stderr().contains("cache"), "an unwritable cache is silent: " + off.stderr());
        }
    }

    private static GoroutineSnapshot snapshot(int pid, BinaryCache cache) throws SnapshotException {
        return GoroutineSnapshot.take(pid, false, Tracer.shared(), ProcFs.live(), Linux.system(), cache);
    }

    /** Reads {@code binary} with {@code cache}, changes the file it stored, reads again: rebuilt, the same findings, stored again. */
    private static void assertRebuiltAfter(Path dir, Path binary, UnaryOperator<byte[]> damage) throws Exception {
        BinaryCache cache = BinaryCache.in(dir);
        byte[] fresh = encoded(read(binary, cache));
        Path file = cache.file(key(binary)).orElseThrow();
        assertTrue(Files.exists(file));
        Files.write(file, damage.apply(Files.readAllBytes(file)));
        CachedFindings.Found again = read(binary, cache);
        assertEquals(CacheUse.MISS, again.use(), "a damaged file is not trusted");
        assertArrayEquals(fresh, encoded(again));
        assertEquals(CacheUse.HIT, read(binary, cache).use(), "and it was written again");
    }

    private static CachedFindings.Found read(Path binary, BinaryCache cache) throws Exception {
        GoExecutable.Go go = (GoExecutable.Go) GoExecutable.open(binary);
        GoVersion v = GoVersion.parse(go.info().goVersion()).orElseThrow();
        return CachedFindings.of(go.elf(), v.major(), v.minor(), cache, CachedFindings.key(go.elf(), binary));
    }

    private static BinaryCache.Key key(Path binary) throws IOException {
        return CachedFindings.key(ElfFile.open(binary), binary);
    }

    private static byte[] encoded(CachedFindings.Found f) {
        return BinaryFindingsCodec.encode(BinaryFindings.of(f.runtime(), f.list().orElseThrow()).orElseThrow()).orElseThrow();
    }

    private static long cacheFiles(Path dir) throws IOException {
        try (var files = Files.list(dir)) {
            return files.count();
        }
    }
}
