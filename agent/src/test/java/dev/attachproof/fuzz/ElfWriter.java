package dev.attachproof.fuzz;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes a small ELF64 little-endian amd64 executable from named sections, for fuzz seeds and
 * for the fuzz targets that wrap fuzzer bytes as one section of an otherwise valid file. Layout:
 * ELF header, program headers, section bytes (16-aligned), .shstrtab, section headers. Each
 * section asked for with {@code load} gets a PT_LOAD covering exactly it, at its address.
 */
final class ElfWriter {
    static final int SHT_PROGBITS = 1;
    static final int SHT_SYMTAB = 2;
    static final int SHT_STRTAB = 3;
    static final int SHT_NOTE = 7;
    static final int SHT_NOBITS = 8;
    static final long SHF_WRITE = 1;
    static final long SHF_ALLOC = 2;
    static final long SHF_EXECINSTR = 4;
    static final long SHF_COMPRESSED = 0x800;

    private record Section(String name, int type, long flags, long address, byte[] bytes, long size,
                           int link, int info, long entsize, int loadFlags) {}

    private final List<Section> sections = new ArrayList<>();

    /** Adds a section with contents; returns its index (index 0 is the null section). */
    int add(String name, int type, long flags, long address, byte[] bytes) {
        return add(name, type, flags, address, bytes, 0, 0, 0, 0);
    }

    int add(String name, int type, long flags, long address, byte[] bytes, int link, int info, long entsize,
            int loadFlags) {
        sections.add(new Section(name, type, flags, address, bytes, bytes.length, link, info, entsize, loadFlags));
        return sections.size();
    }

    /** An SHT_NOBITS section (.bss, or a .text whose bytes no reader needs): an address and a size, no bytes. */
    int addNoBits(String name, long flags, long address, long size) {
        sections.add(new Section(name, SHT_NOBITS, flags, address, new byte[0], size, 0, 0, 0, 0));
        return sections.size();
    }

    /** Marks the last added section as covered by its own PT_LOAD with p_flags {@code pf} (4 R, 2 W, 1 X). */
    ElfWriter load(int pf) {
        Section s = sections.removeLast();
        sections.add(new Section(s.name, s.type, s.flags, s.address, s.bytes, s.size, s.link, s.info, s.entsize, pf));
        return this;
    }

    byte[] build() {
        ByteArrayOutputStream names = new ByteArrayOutputStream();
        names.write(0);
        int[] nameOffsets = new int[sections.size() + 1];
        for (int i = 0; i < sections.size(); i++) {
            nameOffsets[i] = names.size();
            names.writeBytes(sections.get(i).name.getBytes(StandardCharsets.UTF_8));
            names.write(0);
        }
        nameOffsets[sections.size()] = names.size();
        names.writeBytes(".shstrtab\0".getBytes(StandardCharsets.US_ASCII));
        byte[] shstrtab = names.toByteArray();

        int loads = (int) sections.stream().filter(s -> s.loadFlags != 0).count();
        long[] offsets = new long[sections.size()];
        long at = align(64 + 56L * loads, 16);
        for (int i = 0; i < sections.size(); i++) {
            offsets[i] = at;
            at = align(at + sections.get(i).bytes.length, 16);
        }
        long shstrtabOffset = at;
        long shoff = align(at + shstrtab.length, 8);
        int shnum = sections.size() + 2;   // null, ours, .shstrtab
        ByteBuffer b = ByteBuffer.allocate((int) (shoff + 64L * shnum)).order(ByteOrder.LITTLE_ENDIAN);

        b.putInt(0, 0x464c457f).put(4, (byte) 2).put(5, (byte) 1).put(6, (byte) 1);
        b.putShort(16, (short) 2).putShort(18, (short) 62).putInt(20, 1);
        b.putLong(32, loads == 0 ? 0 : 64).putLong(40, shoff);
        b.putShort(52, (short) 64).putShort(54, (short) 56).putShort(56, (short) loads);
        b.putShort(58, (short) 64).putShort(60, (short) shnum).putShort(62, (short) (shnum - 1));

        int ph = 64;
        for (int i = 0; i < sections.size(); i++) {
            Section s = sections.get(i);
            b.put((int) offsets[i], s.bytes);
            if (s.loadFlags != 0) {
                b.putInt(ph, 1).putInt(ph + 4, s.loadFlags).putLong(ph + 8, offsets[i]).putLong(ph + 16, s.address)
                        .putLong(ph + 24, s.address).putLong(ph + 32, s.bytes.length).putLong(ph + 40, s.size)
                        .putLong(ph + 48, 16);
                ph += 56;
            }
        }
        b.put((int) shstrtabOffset, shstrtab);
        for (int i = 0; i < sections.size(); i++) {
            Section s = sections.get(i);
            sectionHeader(b, (int) shoff + 64 * (i + 1), nameOffsets[i], s.type, s.flags, s.address, offsets[i],
                    s.size, s.link, s.info, s.entsize);
        }
        sectionHeader(b, (int) shoff + 64 * (shnum - 1), nameOffsets[sections.size()], SHT_STRTAB, 0, 0,
                shstrtabOffset, shstrtab.length, 0, 0, 0);
        return b.array();
    }

    private static void sectionHeader(ByteBuffer b, int o, int name, int type, long flags, long address, long offset,
                                      long size, int link, int info, long entsize) {
        b.putInt(o, name).putInt(o + 4, type).putLong(o + 8, flags).putLong(o + 16, address)
                .putLong(o + 24, offset).putLong(o + 32, size).putInt(o + 40, link).putInt(o + 44, info)
                .putLong(o + 48, 1).putLong(o + 56, entsize);
    }

    private static long align(long n, int to) {
        return (n + to - 1) / to * to;
    }
}
