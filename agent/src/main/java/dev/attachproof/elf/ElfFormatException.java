package dev.attachproof.elf;

import java.io.IOException;

/**
 * The file is not an ELF we can read, or not the Go binary it claims to be: says what is wrong,
 * in one line. Names quoted from the file (sections, functions, strings) can hold any byte, so
 * control and line-separator characters in the message are written as escapes ({@code \x0a}).
 */
public final class ElfFormatException extends IOException {
    private final boolean unsupported;

    /** The file is damaged: it claims to be an ELF we read, and its structure does not hold. */
    public ElfFormatException(String message) {
        this(message, false);
    }

    private ElfFormatException(String message, boolean unsupported) {
        super(oneLine(message));
        this.unsupported = unsupported;
    }

    /**
     * The file is not a kind this reader reads (not ELF, 32-bit, big-endian, over 2 GiB): nothing
     * says it is damaged, so no reader should call it so.
     */
    public static ElfFormatException unsupported(String message) {
        return new ElfFormatException(message, true);
    }

    /** Whether the file is of a kind not read here, rather than damaged. */
    public boolean isUnsupported() {
        return unsupported;
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
