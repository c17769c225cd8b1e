package dev.attachproof.elf;

import java.io.IOException;

/** The file is not an ELF we can read, or not the Go binary it claims to be: says what is wrong. */
public final class ElfFormatException extends IOException {
    public ElfFormatException(String message) {
        super(message);
    }
}
