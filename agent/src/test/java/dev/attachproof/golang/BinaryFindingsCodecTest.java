package dev.attachproof.golang;

import dev.attachproof.buildinfo.GoExecutable;
import dev.attachproof.delve.GoVersion;
import dev.attachproof.testing.GoFixture;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The findings of a real binary through their bytes and back, and bytes that are not what
 * this version writes refused whole: another version, one byte short, one byte more, a count
 * or a moduledata position out of range. (The cache's checksum and key are BinaryCacheTest's
 * and CachedFindingsTest's.)
 */
class BinaryFindingsCodecTest {

    @Test
    void theFindingsOfARealBinaryComeBackWhole() throws Exception {
        BinaryFindings f = findings();
        byte[] bytes = BinaryFindingsCodec.encode(f).orElseThrow();
        BinaryFindings back = BinaryFindingsCodec.decode(bytes).orElseThrow();
        assertEquals(f.layouts(), back.layouts());
        assertEquals(f.list(), back.list());
        assertEquals(f.pclntab().words(), back.pclntab().words());
        assertArrayEquals(f.pclntab().moduledata(), back.pclntab().moduledata());
        assertEquals(f.pclntab().gofunc(), back.pclntab().gofunc());
        assertEquals(f.pclntab().funcIds(), back.pclntab().funcIds());
        assertArrayEquals(bytes, BinaryFindingsCodec.encode(back).orElseThrow());
        assertTrue(bytes.length < 16 << 10, "small: " + bytes.length + " bytes");
    }

    @Test
    void bytesOfAnotherShapeAreRefused() throws Exception {
        byte[] bytes = BinaryFindingsCodec.encode(findings()).orElseThrow();
        byte[] otherVersion = bytes.clone();
        ByteBuffer.wrap(otherVersion).putInt(0, BinaryFindingsCodec.VERSION + 1);
        assertTrue(BinaryFindingsCodec.decode(otherVersion).isEmpty());
        assertTrue(BinaryFindingsCodec.decode(Arrays.copyOf(bytes, bytes.length - 1)).isEmpty());
        assertTrue(BinaryFindingsCodec.decode(Arrays.copyOf(bytes, bytes.length + 1)).isEmpty());
        assertTrue(BinaryFindingsCodec.decode(new byte[0]).isEmpty());
        byte[] hugeCount = bytes.clone();
        // After the version: goVersion and arch (two strings), then the struct count.
        int at = 4;
        for (int i = 0; i < 2; i++) {
            at += 2 + ByteBuffer.wrap(bytes).getShort(at);
        }
        ByteBuffer.wrap(hugeCount).putInt(at, Integer.MAX_VALUE);
        assertTrue(BinaryFindingsCodec.decode(hugeCount).isEmpty());
    }

    private static BinaryFindings findings() throws Exception {
        GoExecutable.Go go = (GoExecutable.Go) GoExecutable.open(GoFixture.build("target"));
        GoVersion v = GoVersion.parse(go.info().goVersion()).orElseThrow();
        GoRuntime runtime = GoRuntime.withLayouts(go.elf(), v.major(), v.minor());
        return BinaryFindings.of(runtime, GoroutineList.locate(go.elf(), runtime.pclntab()).orElseThrow()).orElseThrow();
    }
}
