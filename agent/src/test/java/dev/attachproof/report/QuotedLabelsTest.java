package dev.attachproof.report;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Labels quoted as Go 1.26's runtime quotes them: the cases of its TestTracebackGoroutineLabels. */
class QuotedLabelsTest {
    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of("baz", "\"baz\""),
                Arguments.of("baz\n", "\"baz\\n\""),
                Arguments.of("b\u001bit", "\"b\\x1bit\""),
                Arguments.of("foo\"ba\0r", "\"foo\\\"ba\\x00r\""),
                Arguments.of("\u1234\u03a3", "\"\\u1234\\u03a3\""),
                Arguments.of(new String(Character.toChars(0x45678)) + "boop", "\"\\U00045678boop\""),
                Arguments.of("fiz\\zl\re", "\"fiz\\\\zl\\re\""),
                Arguments.of("fizz\tle", "\"fizz\\tle\""),
                Arguments.of("\u007f", "\"\\u007f\""));
    }

    @ParameterizedTest
    @MethodSource("cases")
    void asTheRuntimePrintsThem(String value, String printed) {
        StringBuilder b = new StringBuilder();
        GoroutinesText.quoted(b, value);
        assertEquals(printed, b.toString());
    }
}
