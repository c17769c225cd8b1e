package dev.attachproof.golang;

import org.junit.jupiter.api.Test;

import java.util.OptionalInt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** GODEBUG as the runtime reads it: the binary's default, then the environment, later fields winning. */
class GoDebugTest {
    @Test
    void theEnvironmentOverridesTheBinarysDefaultAndLaterFieldsWin() {
        assertEquals(OptionalInt.of(1), GoDebug.setting("tracebacklabels=1", null, "tracebacklabels"));
        assertEquals(OptionalInt.of(0), GoDebug.setting("tracebacklabels=1", "tracebacklabels=0", "tracebacklabels"));
        assertEquals(OptionalInt.of(1), GoDebug.setting(null, "tracebacklabels=0,x=2,tracebacklabels=1", "tracebacklabels"));
        assertEquals(OptionalInt.of(1), GoDebug.setting("tracebacklabels=1", "tracebacklabels=yes", "tracebacklabels"));
        assertEquals(OptionalInt.empty(), GoDebug.setting("panicnil=1", "http2client=0", "tracebacklabels"));
        assertEquals(OptionalInt.empty(), GoDebug.setting("", "tracebacklabels", "tracebacklabels"));
    }

    @Test
    void theFirstGodebugOfTheEnvironmentCounts() {
        assertEquals("tracebacklabels=1", GoDebug.fromEnviron("PATH=/bin\0GODEBUG=tracebacklabels=1\0GODEBUG=x=1\0"));
        assertNull(GoDebug.fromEnviron("PATH=/bin\0GODEBUGX=1\0"));
    }
}
