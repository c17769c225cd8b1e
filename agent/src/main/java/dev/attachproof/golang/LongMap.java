package dev.attachproof.golang;

import java.util.Arrays;

/**
 * A map from long keys (PCs) to values, open addressing, no boxing: the traceback's caches are
 * asked once per frame of every goroutine, 400,000 times for 100,000 goroutines.
 */
final class LongMap<V> {
    private long[] keys = new long[64];
    private Object[] values = new Object[64];
    private boolean[] used = new boolean[64];
    private int size;

    /** The value for {@code key}, or null when there is none (a null value is stored as present: see {@link #containsKey}). */
    @SuppressWarnings("unchecked")
    V get(long key) {
        int i = find(key);
        return used[i] ? (V) values[i] : null;
    }

    boolean containsKey(long key) {
        return used[find(key)];
    }

    void put(long key, V value) {
        int i = find(key);
        if (!used[i]) {
            if ((size + 1) * 2 > keys.length) {
                grow();
                i = find(key);
            }
            used[i] = true;
            keys[i] = key;
            size++;
        }
        values[i] = value;
    }

    private int find(long key) {
        int mask = keys.length - 1;
        int i = (int) (mix(key) & mask);
        while (used[i] && keys[i] != key) {
            i = (i + 1) & mask;
        }
        return i;
    }

    static long mix(long k) {
        k ^= k >>> 33;
        k *= 0xff51afd7ed558ccdL;
        return k ^ (k >>> 33);
    }

    private void grow() {
        long[] oldKeys = keys;
        Object[] oldValues = values;
        boolean[] oldUsed = used;
        keys = new long[oldKeys.length * 2];
        values = new Object[keys.length];
        used = new boolean[keys.length];
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldUsed[i]) {
                int j = find(oldKeys[i]);
                used[j] = true;
                keys[j] = oldKeys[i];
                values[j] = oldValues[i];
            }
        }
        Arrays.fill(oldValues, null);
    }
}
