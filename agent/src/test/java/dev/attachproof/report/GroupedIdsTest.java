package dev.attachproof.report;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The ids of a --group entry: every id named, runs of three or more shortened, long lists counted. */
class GroupedIdsTest {

    private static String ids(List<Long> ids) {
        StringBuilder b = new StringBuilder();
        GoroutinesGrouped.ids(b, ids);
        return b.toString();
    }

    @Test
    void scatteredIdsAreNamedOneByOne() {
        assertEquals("15, 45, 49", ids(List.of(49L, 15L, 45L)));
        assertEquals("7", ids(List.of(7L)));
    }

    @Test
    void runsOfThreeOrMoreAreShortenedAndPairsAreNot() {
        assertEquals("15, 16, 20..22, 30", ids(List.of(30L, 22L, 21L, 20L, 16L, 15L)));
    }

    @Test
    void aHundredThousandIdsWithTwoGapsAreThreeRuns() {
        List<Long> ids = new ArrayList<>(LongStream.rangeClosed(6, 100_005).boxed().toList());
        ids.remove(Long.valueOf(50_005));
        ids.remove(Long.valueOf(100_001));
        assertEquals("6..50004, 50006..100000, 100002..100005", ids(ids));
    }

    @Test
    void afterEightRunsTheRestIsCounted() {
        List<Long> ids = LongStream.rangeClosed(1, 12).map(i -> i * 10).boxed().toList();
        assertEquals("10, 20, 30, 40, 50, 60, 70, 80 and 4 more", ids(ids));
    }
}
