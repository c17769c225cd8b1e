package dev.attachproof.cache;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Where the cache lives, what it refuses to keep, and how it stays small (its use on real binaries: CachedFindingsTest). */
class BinaryCacheTest {
    @Test
    void theEnvironmentNamesTheDirectory() {
        assertEquals(Path.of("/x/y"), dirOf(BinaryCache.fromEnvironment(Map.of(BinaryCache.DIRECTORY_VARIABLE, "/x/y", "HOME", "/root"))));
        assertEquals(Path.of("/c/attachproof/binaries"), dirOf(BinaryCache.fromEnvironment(Map.of("XDG_CACHE_HOME", "/c", "HOME", "/root"))));
        assertEquals(Path.of("/root/.cache/attachproof/binaries"),
                dirOf(BinaryCache.fromEnvironment(Map.of("XDG_CACHE_HOME", "relative", "HOME", "/root"))),
                "a relative XDG_CACHE_HOME is ignored, as the XDG spec says");
        assertTrue(BinaryCache.fromEnvironment(Map.of(BinaryCache.DIRECTORY_VARIABLE, "", "HOME", "/root")).file(anyKey()).isEmpty(),
                "set and empty: no cache");
        assertTrue(BinaryCache.fromEnvironment(Map.of()).file(anyKey()).isEmpty(), "no HOME: no cache");
    }

    @Test
    void theOldestFilesGoPastTheLimit(@TempDir Path dir) throws IOException {
        BinaryCache cache = BinaryCache.in(dir);
        int stored = BinaryCache.MAX_FILES + 3;
        for (int i = 0; i < stored; i++) {
            BinaryCache.Key k = new BinaryCache.Key("id" + i, "", i, i);
            assertTrue(cache.store(k, new byte[] {(byte) i}));
            Files.setLastModifiedTime(cache.file(k).orElseThrow(), FileTime.fromMillis(1_000_000L * (i + 1)));
        }
        assertEquals(BinaryCache.MAX_FILES, cacheFiles(dir));
        assertTrue(cache.load(new BinaryCache.Key("id0", "", 0, 0)).isEmpty(), "the oldest went");
        assertArrayEquals(new byte[] {(byte) (stored - 1)}, cache.load(new BinaryCache.Key("id" + (stored - 1), "", stored - 1, stored - 1)).orElseThrow());
    }

    @Test
    void aBinaryWithoutBuildIdIsNotCached(@TempDir Path dir) {
        BinaryCache cache = BinaryCache.in(dir);
        BinaryCache.Key anonymous = new BinaryCache.Key("", "", 1234, 5678);
        assertFalse(cache.store(anonymous, new byte[] {1, 2, 3}));
        assertTrue(cache.load(anonymous).isEmpty());
    }

    private static Path dirOf(BinaryCache cache) {
        return cache.file(anyKey()).orElseThrow().getParent();
    }

    private static BinaryCache.Key anyKey() {
        return new BinaryCache.Key("id", "", 1, 1);
    }

    private static long cacheFiles(Path dir) throws IOException {
        try (var files = Files.list(dir)) {
            return files.count();
        }
    }
}
