package dev.attachproof.golang;

import dev.attachproof.memory.MemoryReader;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

/**
 * A goroutine's pprof labels (pprof.Do, pprof.SetGoroutineLabels), from its {@code g.labels},
 * which points at the runtime/pprof labelMap the goroutine's context holds:
 * <ul>
 * <li>up to Go 1.23 a {@code map[string]string}: g.labels points at the map variable, which
 *     points at its runtime.hmap (the layout's, from DWARF); its buckets hold 8 tophash bytes,
 *     8 keys, 8 values and an overflow pointer (abi.MapBucketCount is 8), a slot being live when
 *     its tophash is at least 5 (minTopHash);</li>
 * <li>from Go 1.24, whose swiss-table maps dropped runtime.hmap, a struct whose first field is a
 *     sorted []label of key and value strings.</li>
 * </ul>
 * Which one is the layout's to say: it has runtime.hmap exactly when maps are the old ones.
 * Bounded: a label list or map larger than 1,024 entries, or strings over 64 KB, are not labels.
 */
public final class Labels {
    private static final int MAX_LABELS = 1024;
    private static final int MAX_STRING = 1 << 16;
    private static final int BUCKET_COUNT = 8;
    private static final int MIN_TOP_HASH = 5;

    private Labels() {}

    public static Map<String, String> read(MemoryReader mem, RuntimeLayout layout, long labels)
            throws MemoryReader.MemoryReadException {
        Map<String, String> out = new TreeMap<>();
        if (labels == 0) {
            return out;
        }
        if (layout.structs().containsKey("runtime.hmap")) {
            long hmap = word(mem, labels);
            if (hmap != 0) {
                readMap(mem, layout, hmap, out);
            }
            return out;
        }
        ByteBuffer slice = bytes(mem, labels, 24);
        long array = slice.getLong(0);
        long len = slice.getLong(8);
        if (len < 0 || len > MAX_LABELS) {
            throw new MemoryReader.MemoryReadException("goroutine labels: a list of " + len);
        }
        if (len > 0) {
            ByteBuffer pairs = bytes(mem, array, (int) len * 32);
            for (int i = 0; i < len; i++) {
                out.put(string(mem, pairs, i * 32), string(mem, pairs, i * 32 + 16));
            }
        }
        return out;
    }

    private static void readMap(MemoryReader mem, RuntimeLayout layout, long hmap, Map<String, String> out)
            throws MemoryReader.MemoryReadException {
        long count = field(mem, layout, hmap, "count");
        int b = (int) field(mem, layout, hmap, "B");
        if (count < 0 || count > MAX_LABELS || b < 0 || b > 10) {
            throw new MemoryReader.MemoryReadException("goroutine labels: a map of " + count + " entries, B " + b);
        }
        int bucketSize = BUCKET_COUNT + BUCKET_COUNT * 16 * 2 + 8;
        for (String which : new String[] {"buckets", "oldbuckets"}) {
            long buckets = field(mem, layout, hmap, which);
            int n = which.equals("buckets") ? 1 << b : Math.max(1, 1 << Math.max(0, b - 1));
            for (int i = 0; buckets != 0 && i < n; i++) {
                long bucket = buckets + (long) i * bucketSize;
                for (int chain = 0; bucket != 0 && chain < MAX_LABELS && out.size() < count; chain++) {
                    ByteBuffer bk = bytes(mem, bucket, bucketSize);
                    for (int slot = 0; slot < BUCKET_COUNT; slot++) {
                        if (Byte.toUnsignedInt(bk.get(slot)) >= MIN_TOP_HASH) {
                            out.putIfAbsent(string(mem, bk, BUCKET_COUNT + slot * 16),
                                    string(mem, bk, BUCKET_COUNT + BUCKET_COUNT * 16 + slot * 16));
                        }
                    }
                    bucket = bk.getLong(bucketSize - 8);
                }
            }
        }
    }

    private static long field(MemoryReader mem, RuntimeLayout layout, long base, String name) throws MemoryReader.MemoryReadException {
        var m = layout.member("runtime.hmap", name).orElseThrow(() ->
                new MemoryReader.MemoryReadException("the layout's runtime.hmap has no " + name));
        ByteBuffer b = bytes(mem, base + m.offset(), (int) Math.max(1, m.size()));
        return switch ((int) m.size()) {
            case 1 -> Byte.toUnsignedLong(b.get(0));
            case 2 -> Short.toUnsignedLong(b.getShort(0));
            case 4 -> Integer.toUnsignedLong(b.getInt(0));
            default -> b.getLong(0);
        };
    }

    private static String string(MemoryReader mem, ByteBuffer header, int at) throws MemoryReader.MemoryReadException {
        long ptr = header.getLong(at);
        long len = header.getLong(at + 8);
        if (len < 0 || len > MAX_STRING) {
            throw new MemoryReader.MemoryReadException("goroutine labels: a string of " + len + " bytes");
        }
        return len == 0 ? "" : StandardCharsets.UTF_8.decode(bytes(mem, ptr, (int) len)).toString();
    }

    private static long word(MemoryReader mem, long address) throws MemoryReader.MemoryReadException {
        return bytes(mem, address, 8).getLong(0);
    }

    private static ByteBuffer bytes(MemoryReader mem, long address, int length) throws MemoryReader.MemoryReadException {
        ByteBuffer b = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        mem.read(address, b);
        return b;
    }
}
