package dev.attachproof.golang;

import java.util.Arrays;

/**
 * A map from sequences of longs (the argument words of one goroutine's stack) to values, open
 * addressing: asked once per goroutine, it hashes and compares the words where the caller read
 * them, so a lookup makes no key object; only a new entry copies its words.
 */
final class WordsMap<V> {
    private long[][] keys = new long[8][];
    private Object[] values = new Object[8];
    private int size;

    /** The value for {@code words[0..n)}, or null when there is none. */
    @SuppressWarnings("unchecked")
    V get(long[] words, int n) {
        int i = find(words, n);
        return keys[i] == null ? null : (V) values[i];
    }

    int size() {
        return size;
    }

    /** Maps {@code words[0..n)} (copied) to {@code value}. */
    void put(long[] words, int n, V value) {
        int i = find(words, n);
        if (keys[i] == null) {
            if ((size + 1) * 2 > keys.length) {
                grow();
                i = find(words, n);
            }
            keys[i] = Arrays.copyOf(words, n);
            size++;
        }
        values[i] = value;
    }

    private int find(long[] words, int n) {
        int mask = keys.length - 1;
        int i = hash(words, n) & mask;
        while (keys[i] != null && !same(keys[i], words, n)) {
            i = (i + 1) & mask;
        }
        return i;
    }

    private static boolean same(long[] key, long[] words, int n) {
        if (key.length != n) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            if (key[i] != words[i]) {
                return false;
            }
        }
        return true;
    }

    private static int hash(long[] words, int n) {
        long h = n;
        for (int i = 0; i < n; i++) {
            h = LongMap.mix(h ^ words[i]);
        }
        return (int) h;
    }

    private void grow() {
        long[][] oldKeys = keys;
        Object[] oldValues = values;
        keys = new long[oldKeys.length * 2][];
        values = new Object[keys.length];
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldKeys[i] != null) {
                int j = find(oldKeys[i], oldKeys[i].length);
                keys[j] = oldKeys[i];
                values[j] = oldValues[i];
            }
        }
    }
}
