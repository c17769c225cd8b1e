package dev.attachproof.service;

/**
 * Words a user or a client sent, made safe to put in a one-line message or a log line: both
 * front ends quote a bad argument ({@code pid}, a parameter name) the same way.
 */
public final class UserText {
    private UserText() {}

    /** A client's words, quoted for a message or a log line: at most 40 characters, nothing unprintable. */
    public static String quote(String s) {
        StringBuilder b = new StringBuilder("'");
        s.codePoints().limit(40).forEach(c -> {
            if (unprintable(c) || c == '\'') {
                b.append(String.format("\\u%04x", c));
            } else {
                b.appendCodePoint(c);
            }
        });
        return b.append(s.codePointCount(0, s.length()) > 40 ? "...'" : "'").toString();
    }

    /**
     * Whether {@code c} must not be shown as itself in a message or a log line: C0 and C1
     * controls (U+0085 NEL among them), the line and paragraph separators U+2028 and U+2029,
     * which some log readers take for line breaks, format characters (bidirectional overrides),
     * and what is not a character (a lone surrogate, an unassigned code point).
     */
    public static boolean unprintable(int c) {
        return switch (Character.getType(c)) {
            case Character.CONTROL, Character.FORMAT, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR,
                 Character.SURROGATE, Character.UNASSIGNED, Character.PRIVATE_USE -> true;
            default -> false;
        };
    }
}
