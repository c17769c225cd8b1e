package dev.attachproof.dwarf;

import dev.attachproof.elf.ElfFormatException;

import java.nio.ByteBuffer;

/** A bounds-checked little-endian reader over one DWARF section, between {@code pos} and {@code limit}. */
final class Cursor {
    private final ByteBuffer buf;
    private final String section;
    int pos;
    int limit;

    Cursor(ByteBuffer buf, String section, int pos, int limit) {
        this.buf = buf;
        this.section = section;
        this.pos = pos;
        this.limit = limit;
    }

    private int take(int n) throws ElfFormatException {
        if (n < 0 || pos > limit - n) {
            throw new ElfFormatException("DWARF: " + section + " truncated at offset " + pos);
        }
        int at = pos;
        pos += n;
        return at;
    }

    int u8() throws ElfFormatException {
        return Byte.toUnsignedInt(buf.get(take(1)));
    }

    int u16() throws ElfFormatException {
        return Short.toUnsignedInt(buf.getShort(take(2)));
    }

    long u24() throws ElfFormatException {
        int at = take(3);
        return Byte.toUnsignedInt(buf.get(at)) | Byte.toUnsignedInt(buf.get(at + 1)) << 8
                | (long) Byte.toUnsignedInt(buf.get(at + 2)) << 16;
    }

    long u32() throws ElfFormatException {
        return Integer.toUnsignedLong(buf.getInt(take(4)));
    }

    long u64() throws ElfFormatException {
        return buf.getLong(take(8));
    }

    /** An unsigned value of {@code size} bytes (1, 2, 4 or 8). */
    long unsigned(int size) throws ElfFormatException {
        return switch (size) {
            case 1 -> u8();
            case 2 -> u16();
            case 4 -> u32();
            case 8 -> u64();
            default -> throw new ElfFormatException("DWARF: unsupported field size " + size);
        };
    }

    long uleb() throws ElfFormatException {
        long result = 0;
        for (int shift = 0; shift < 70; shift += 7) {
            int b = u8();
            if (shift < 64) {
                result |= (long) (b & 0x7f) << shift;
            }
            if ((b & 0x80) == 0) {
                return result;
            }
        }
        throw new ElfFormatException("DWARF: LEB128 longer than 10 bytes in " + section + " at " + pos);
    }

    long sleb() throws ElfFormatException {
        long result = 0;
        int shift = 0;
        int b;
        do {
            if (shift >= 70) {
                throw new ElfFormatException("DWARF: LEB128 longer than 10 bytes in " + section + " at " + pos);
            }
            b = u8();
            if (shift < 64) {
                result |= (long) (b & 0x7f) << shift;
            }
            shift += 7;
        } while ((b & 0x80) != 0);
        if (shift < 64 && (b & 0x40) != 0) {
            result |= -1L << shift;
        }
        return result;
    }

    /** A length that must fit what is left of this cursor's range. */
    int length(long n) throws ElfFormatException {
        if (n < 0 || n > limit - pos) {
            throw new ElfFormatException("DWARF: length " + n + " runs past " + section + " at " + pos);
        }
        return (int) n;
    }

    void skip(long n) throws ElfFormatException {
        take(length(n));
    }

    /** Skips a NUL-terminated string and returns its start. */
    int skipCString() throws ElfFormatException {
        int start = pos;
        while (u8() != 0) {
            // scan
        }
        return start;
    }

    boolean atEnd() {
        return pos >= limit;
    }
}
