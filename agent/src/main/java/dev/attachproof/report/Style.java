package dev.attachproof.report;

import dev.attachproof.diagnose.Status;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How text for people looks: ANSI colour when standard output is a terminal (and NO_COLOR is not
 * set), plain otherwise; and {@link #escape}, which every string a target controls passes through
 * before it reaches a terminal.
 *
 * @param terminal standard output is a terminal: decided once, by {@link #forConsole()}
 * @param color    paint with ANSI colour
 */
public record Style(boolean terminal, boolean color) {

    /** Plain text for a file, a pipe or a test: no colour. */
    public static final Style PLAIN = new Style(false, false);

    public static Style forConsole() {
        boolean terminal = stdoutIsTerminal();
        return new Style(terminal, terminal && System.getenv("NO_COLOR") == null);
    }

    /**
     * Whether file descriptor 1 is a character device, which is what a terminal is (isatty(3) asks
     * the same device with an ioctl, which our bindings do not carry). The JDK's
     * Console.isTerminal() would not do: it needs standard input to be a terminal as well, so
     * {@code attachproof goroutines PID </dev/null} on a terminal would pass raw escapes to it.
     * The one character device that is not a terminal and can take our output, /dev/null, loses
     * nothing by being treated as one. A regular file, a pipe or a socket is not.
     */
    static boolean stdoutIsTerminal() {
        try {
            int mode = (Integer) Files.getAttribute(Path.of("/proc/self/fd/1"), "unix:mode");
            return (mode & 0170000) == 0020000;   // S_IFCHR, <sys/stat.h>
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return false;
        }
    }

    /**
     * {@code s} with every character that a terminal would act on instead of showing written as an
     * escape, so a process name, a source path or a build setting can neither forge a line nor
     * rewrite the screen (ESC[2J, ESC]0;title BEL, a CR that returns to the line's start). The C0
     * controls, DEL, the C1 controls (U+009B is a one-character CSI to a terminal that reads 8-bit
     * controls) and the line and paragraph separators U+2028 and U+2029 are escaped; so is the
     * backslash, so the form stays reversible (every backslash starts an escape).
     *
     * <p>The form is Go's, as strconv.Quote (and QuoteToGraphic) writes it without the quotes:
     * {@code \a \b \f \n \r \t \v \\}, {@code \x1b} for the other ASCII controls and DEL,
     * <code>&#92;u009b</code> and <code>&#92;u2028</code> above them; the people reading a Go process's names read
     * Go, and {@code strconv.Unquote} reverses it. ls(1) escapes for a terminal the same way
     * ({@code --quoting-style=escape}), in octal; ps(1) writes {@code ?}, which loses the byte.
     * Returns {@code s} itself when there is nothing to escape.
     */
    public static String escape(String s) {
        int i = 0;
        while (i < s.length() && !escaped(s.charAt(i))) {
            i++;
        }
        if (i == s.length()) {
            return s;
        }
        StringBuilder b = new StringBuilder(s.length() + 16).append(s, 0, i);
        for (; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!escaped(c)) {
                b.append(c);
                continue;
            }
            switch (c) {
                case 0x07 -> b.append("\\a");
                case '\b' -> b.append("\\b");
                case '\f' -> b.append("\\f");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case 0x0b -> b.append("\\v");
                case '\\' -> b.append("\\\\");
                default -> b.append(c < 0x80 ? String.format("\\x%02x", (int) c) : String.format("\\u%04x", (int) c));
            }
        }
        return b.toString();
    }

    private static boolean escaped(char c) {
        return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x2028 || c == 0x2029 || c == '\\';
    }

    public String status(Status s) {
        String word = switch (s) {
            case PASS -> "pass";
            case WARN -> "warn";
            case FAIL -> "FAIL";
            case SKIP -> "skip";
        };
        String code = switch (s) {
            case PASS -> "32";
            case WARN -> "33";
            case FAIL -> "1;31";
            case SKIP -> "2";
        };
        return paint(code, String.format("%-4s", word));
    }

    public String bold(String s) {
        return paint("1", s);
    }

    public String dim(String s) {
        return paint("2", s);
    }

    public String green(String s) {
        return paint("1;32", s);
    }

    public String red(String s) {
        return paint("1;31", s);
    }

    private String paint(String code, String s) {
        return color ? "\u001b[" + code + "m" + s + "\u001b[0m" : s;
    }
}
