package dev.attachproof.elf;

import java.io.IOException;

/**
 * The file is not an ELF we can read, or not the Go binary it claims to be: says what is wrong,
 * in one line. Names quoted from the file (sections, functions, strings) can hold any byte, so
 * control and line-separator characters in the message are written as escapes ({@code \x0a}).
 */
public final class ElfFormatException extends IOException {
    public ElfFormatException(String message) {
        super(oneLine(message));
    }

    static String oneLine(String message) {
        if (message == null || message.chars().noneMatch(ElfFormatException::breaks)) {
            return message;
        }
        StringBuilder b = new StringBuilder(message.length() + 16);
        message.chars().forEach(c -> b.append(!breaks(c) ? String.valueOf((char) c)
                : c < 0x100 ? String.format("\\x%02x", c) : String.format("\\u%04x", c)));
        return b.toString();
    }

    private static boolean breaks(int c) {
        return c < 0x20 || c == 0x7f || c == 0x85 || c == 0x2028 || c == 0x2029;
    }
}
