package dev.attachproof.golang;

import dev.attachproof.memory.MemoryReader;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The Go version a live process carries in {@code runtime.buildVersion} (a Go string header:
 * pointer, length), read from its memory. The symbol comes from the ELF symbol table, which a
 * stripped binary lacks: its version is then the build info's.
 */
public final class BuildVersion {
    public static final String SYMBOL = "runtime.buildVersion";
    /** Go version strings are short ("go1.22.5", "devel go1.24-abcdef Tue ..."): bound the read. */
    static final int MAX_VERSION = 128;

    private BuildVersion() {}

    /** The string at {@code address}, runtime.buildVersion's run-time address (a PIE's load bias added). */
    public static String read(MemoryReader mem, long address) throws MemoryReader.MemoryReadException {
        ByteBuffer header = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        mem.read(address, header);
        long ptr = header.getLong(0);
        long len = header.getLong(8);
        if (len <= 0 || len > MAX_VERSION) {
            throw new MemoryReader.MemoryReadException(SYMBOL + " has implausible length " + len);
        }
        ByteBuffer text = ByteBuffer.allocate((int) len);
        mem.read(ptr, text);
        return new String(text.array(), StandardCharsets.UTF_8);
    }
}
