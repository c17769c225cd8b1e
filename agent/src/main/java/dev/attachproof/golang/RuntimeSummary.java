package dev.attachproof.golang;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.OptionalLong;

/**
 * The two facts the doctor's proof reads from a live Go process: the version string the runtime
 * carries ({@code runtime.buildVersion}, a Go string header) and the number of goroutines ever
 * allocated and not freed ({@code runtime.allglen}, what {@code allgs} holds). Symbols come from
 * the ELF symbol table; {@code bias} is the load bias of a PIE (0 otherwise).
 */
public record RuntimeSummary(String goVersion, OptionalLong goroutines) {
    /** Go version strings are short ("go1.22.5", "devel go1.24-abcdef Tue ..."): bound the read. */
    static final int MAX_VERSION = 128;
    /** A count larger than this is not a goroutine count: the read raced or the symbol is wrong. */
    static final long MAX_GOROUTINES = 100_000_000L;

    public static RuntimeSummary read(MemoryReader mem, Map<String, Long> symbols, long bias)
            throws MemoryReader.MemoryReadException {
        Long versionSym = symbols.get("runtime.buildVersion");
        if (versionSym == null) {
            throw new MemoryReader.MemoryReadException("runtime.buildVersion is not in the symbol table (stripped binary)");
        }
        ByteBuffer header = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        mem.read(versionSym + bias, header);
        long ptr = header.getLong(0);
        long len = header.getLong(8);
        if (len <= 0 || len > MAX_VERSION) {
            throw new MemoryReader.MemoryReadException("runtime.buildVersion has implausible length " + len);
        }
        ByteBuffer text = ByteBuffer.allocate((int) len);
        mem.read(ptr, text);
        String version = new String(text.array(), StandardCharsets.UTF_8);

        OptionalLong count = OptionalLong.empty();
        Long allglen = symbols.get("runtime.allglen");
        if (allglen != null) {
            ByteBuffer word = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            mem.read(allglen + bias, word);
            long n = word.getLong(0);
            if (n < 0 || n > MAX_GOROUTINES) {
                throw new MemoryReader.MemoryReadException("runtime.allglen reads " + n + ", not a goroutine count");
            }
            count = OptionalLong.of(n);
        }
        return new RuntimeSummary(version, count);
    }
}
