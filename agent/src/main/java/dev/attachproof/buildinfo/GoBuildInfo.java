package dev.attachproof.buildinfo;

import dev.attachproof.elf.ElfFile;
import dev.attachproof.elf.ElfFormatException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The build info a Go linker writes into {@code .go.buildinfo}: the Go version and the module
 * information {@code go version -m} prints. Both encodings are read: Go 1.18+ stores the two
 * strings inline as varint-prefixed bytes (flag bit 2); older linkers store pointers to Go
 * string headers (src/debug/buildinfo/buildinfo.go).
 *
 * @param goVersion  e.g. "go1.22.5"
 * @param path       the main package path, e.g. "example.com/svc/cmd/server" or "cmd/go"
 * @param mainModule the main module "path version", empty when built outside a module
 * @param settings   the "build" lines: -compiler, -gcflags, -ldflags, CGO_ENABLED, GOARCH, vcs.*
 */
public record GoBuildInfo(String goVersion, String path, String mainModule, List<String> deps,
                          Map<String, String> settings) {

    private static final byte[] MAGIC = "\u00ff Go buildinf:".getBytes(StandardCharsets.ISO_8859_1);
    private static final int HEADER_SIZE = 32;
    private static final int MAX_STRING = 1 << 20;
    private static final int SCAN_LIMIT = 1 << 20;

    /** The build info of a Go binary; empty when the file is not a Go binary. */
    public static Optional<GoBuildInfo> read(ElfFile elf) throws ElfFormatException {
        ByteBuffer header = findHeader(elf);
        if (header == null) {
            return Optional.empty();
        }
        int ptrSize = header.get(14);
        int flags = header.get(15);
        String version;
        String modinfo;
        if ((flags & 2) != 0) {
            ByteBuffer rest = header.duplicate().position(HEADER_SIZE);
            version = varintString(rest);
            modinfo = varintString(rest);
        } else {
            if (ptrSize != 4 && ptrSize != 8) {
                throw new ElfFormatException("Go build info has pointer size " + ptrSize);
            }
            ByteOrder order = (flags & 1) != 0 ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
            ByteBuffer h = header.duplicate().order(order);
            version = pointedString(elf, readPtr(h, 16, ptrSize), ptrSize, order);
            modinfo = pointedString(elf, readPtr(h, 16 + ptrSize, ptrSize), ptrSize, order);
        }
        if (version.isEmpty()) {
            return Optional.empty();
        }
        // The module info is framed by two 16-byte sentinels (cmd/go/internal/modload).
        if (modinfo.length() >= 33 && modinfo.charAt(modinfo.length() - 17) == '\n') {
            modinfo = modinfo.substring(16, modinfo.length() - 16);
        } else {
            modinfo = "";
        }
        return Optional.of(parse(version, modinfo));
    }

    /** True for optimised builds: no {@code -N} (and {@code -l}) in -gcflags, as Delve wants them. */
    public boolean optimized() {
        String gc = settings.getOrDefault("-gcflags", "");
        return !(gc.contains("-N") && gc.contains("-l"));
    }

    static GoBuildInfo parse(String version, String modinfo) {
        String path = "";
        String main = "";
        List<String> deps = new ArrayList<>();
        Map<String, String> settings = new LinkedHashMap<>();
        for (String line : modinfo.split("\n")) {
            String[] f = line.split("\t", -1);   // -1: never empty, even for a line of tabs
            switch (f[0]) {
                case "path" -> path = f.length > 1 ? f[1] : "";
                case "mod" -> main = f.length > 2 ? f[1] + " " + f[2] : (f.length > 1 ? f[1] : "");
                case "dep" -> deps.add(f.length > 2 ? f[1] + " " + f[2] : (f.length > 1 ? f[1] : ""));
                case "build" -> {
                    if (f.length > 1) {
                        int eq = f[1].indexOf('=');
                        if (eq > 0) {
                            settings.put(f[1].substring(0, eq), unquote(f[1].substring(eq + 1)));
                        }
                    }
                }
                default -> { }
            }
        }
        return new GoBuildInfo(version, path, main, List.copyOf(deps), Map.copyOf(settings));
    }

    private static ByteBuffer findHeader(ElfFile elf) {
        Optional<ElfFile.Section> s = elf.section(".go.buildinfo");
        if (s.isPresent()) {
            ByteBuffer b = elf.contents(s.get());
            return hasMagicAt(b, 0) && b.limit() >= HEADER_SIZE ? b : null;
        }
        // No section header for it (some linkers): the magic sits, 16-aligned, in the first
        // writable PT_LOAD segment, as debug/buildinfo searches it.
        for (ElfFile.Segment seg : elf.segments()) {
            if (seg.type() == ElfFile.PT_LOAD && (seg.flags() & 2) != 0) {
                int len = (int) Math.min(seg.fileSize(), SCAN_LIMIT);
                ByteBuffer b = elf.readVirtual(seg.vaddr(), len).orElse(null);
                for (int off = 0; b != null && off + HEADER_SIZE <= b.limit(); off += 16) {
                    if (hasMagicAt(b, off)) {
                        return b.slice(off, b.limit() - off).order(ByteOrder.LITTLE_ENDIAN);
                    }
                }
                return null;
            }
        }
        return null;
    }

    private static boolean hasMagicAt(ByteBuffer b, int off) {
        if (off + MAGIC.length > b.limit()) {
            return false;
        }
        for (int i = 0; i < MAGIC.length; i++) {
            if (b.get(off + i) != MAGIC[i]) {
                return false;
            }
        }
        return true;
    }

    private static String varintString(ByteBuffer b) throws ElfFormatException {
        long len = 0;
        int shift = 0;
        while (true) {
            if (!b.hasRemaining() || shift > 63) {
                throw new ElfFormatException("Go build info truncated in a string length");
            }
            byte x = b.get();
            len |= (long) (x & 0x7f) << shift;
            if ((x & 0x80) == 0) {
                break;
            }
            shift += 7;
        }
        if (len < 0 || len > MAX_STRING || len > b.remaining()) {   // < 0: a tenth byte set bit 63
            throw new ElfFormatException("Go build info string of " + len + " bytes runs past its section");
        }
        byte[] s = new byte[(int) len];
        b.get(s);
        return new String(s, StandardCharsets.UTF_8);
    }

    private static long readPtr(ByteBuffer b, int off, int ptrSize) {
        return ptrSize == 8 ? b.getLong(off) : Integer.toUnsignedLong(b.getInt(off));
    }

    private static String pointedString(ElfFile elf, long headerAddr, int ptrSize, ByteOrder order)
            throws ElfFormatException {
        ByteBuffer h = elf.readVirtual(headerAddr, 2 * ptrSize)
                .orElseThrow(() -> new ElfFormatException("Go build info points outside the file"))
                .order(order);
        long data = readPtr(h, 0, ptrSize);
        long len = readPtr(h, ptrSize, ptrSize);
        if (len < 0 || len > MAX_STRING) {
            throw new ElfFormatException("Go build info string of " + len + " bytes");
        }
        ByteBuffer s = elf.readVirtual(data, (int) len)
                .orElseThrow(() -> new ElfFormatException("Go build info string lies outside the file"));
        byte[] bytes = new byte[(int) len];
        s.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static String unquote(String v) {
        if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) {
            return v.substring(1, v.length() - 1).replace("\\\"", "\"").replace("\\\\", "\\");
        }
        return v;
    }
}
