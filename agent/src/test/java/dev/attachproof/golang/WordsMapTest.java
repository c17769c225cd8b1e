package dev.attachproof.golang;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** Words compared by value and length, only the first n of the caller's array, through growth. */
class WordsMapTest {
    @Test
    void findsByTheWordsNotTheArray() {
        WordsMap<String> m = new WordsMap<>();
        long[] scratch = new long[8];
        for (int i = 0; i < 10_000; i++) {
            scratch[0] = 0xc000080000L + i;
            scratch[1] = i % 3;
            m.put(scratch, 2, "w" + i);
        }
        m.put(scratch, 0, "none");
        for (int i = 0; i < 10_000; i++) {
            scratch[0] = 0xc000080000L + i;
            scratch[1] = i % 3;
            scratch[2] = 99;   // past n: not part of the key
            assertEquals("w" + i, m.get(scratch, 2));
            assertNull(m.get(scratch, 3));
        }
        assertEquals("none", m.get(new long[0], 0));
        assertNull(m.get(new long[] {0xc000080000L, 1}, 2));
    }
}
