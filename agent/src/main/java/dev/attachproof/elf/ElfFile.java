package dev.attachproof.elf;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A read-only view of an ELF64 little-endian file (amd64, arm64), mapped rather than read so a
 * 50 MB Go binary costs only the pages we touch.
 */
public final class ElfFile {
    public static final int ET_EXEC = 2;
    public static final int ET_DYN = 3;
    public static final int EM_X86_64 = 62;
    public static final int EM_AARCH64 = 183;
    public static final int PT_LOAD = 1;
    public static final int PT_INTERP = 3;
    static final int SHT_SYMTAB = 2;
    static final int SHT_RELA = 4;
    public static final int SHT_NOBITS = 8;
    static final int SHT_NOTE = 7;
    public static final int PT_TLS = 7;
    static final long SHF_COMPRESSED = 0x800;
    static final int ELFCOMPRESS_ZLIB = 1;
    private static final long MAX_DEBUG_SECTION = 1L << 30;
    /** The largest file mapped: one ByteBuffer's reach. Hugo, 66 MB, is a big Go program. */
    private static final long MAX_FILE = Integer.MAX_VALUE;
    private static final int MAX_SECTIONS = 65_535;
    private static final int MAX_SEGMENTS = 4_096;
    /** R_X86_64_RELATIVE (x86-64 psABI, table 4.9) and R_AARCH64_RELATIVE (Arm's ELF for the Arm 64-bit Architecture, 5.7.12). */
    static final int R_X86_64_RELATIVE = 8;
    static final int R_AARCH64_RELATIVE = 1027;
    /** More relocations than any real program has (Debian's dockerd: 244,107); bounds what a hostile file costs. */
    private static final int MAX_RELOCATIONS = 1 << 22;

    private final ByteBuffer data;
    private final int type;
    private final int machine;
    private final List<Section> sections;
    private final List<Segment> segments;
    /** The RELATIVE relocations of SHT_RELA sections, sorted by the address they write: built on first use. */
    private Relocations relative;

    private ElfFile(ByteBuffer data) throws ElfFormatException {
        this.data = data.order(ByteOrder.LITTLE_ENDIAN);
        if (data.capacity() < 4 || data.getInt(0) != 0x464c457f) {
            throw ElfFormatException.unsupported("not an ELF file (no ELF magic number)");
        }
        if (data.capacity() < 64) {   // the magic, then less than an Elf64_Ehdr: a cut ELF, not another kind of file
            throw new ElfFormatException("ELF header cut short at " + data.capacity() + " bytes (truncated file?)");
        }
        if (data.get(4) != 2) {
            throw ElfFormatException.unsupported("not a 64-bit ELF file (EI_CLASS " + data.get(4) + ")");
        }
        if (data.get(5) != 1) {
            throw ElfFormatException.unsupported("not a little-endian ELF file");
        }
        this.type = Short.toUnsignedInt(data.getShort(16));
        this.machine = Short.toUnsignedInt(data.getShort(18));
        this.segments = readSegments();
        this.sections = readSections();
    }

    /** Maps and validates {@code path}; throws with a one-line reason when it is not a usable ELF. */
    public static ElfFile open(Path path) throws IOException {
        // Only a regular file (a symbolic link to one is followed), checked before it is opened:
        // opening a FIFO waits for a writer forever, a character device such as /dev/zero
        // never ends (and maps as nothing), a directory is not a program.
        java.util.Optional<String> kind = dev.attachproof.procfs.FileKind.notRegular(path);
        if (kind.isPresent()) {
            throw new NotRegularFileException(path + " is " + kind.get() + ", not a regular file");
        }
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size > MAX_FILE) {
                throw ElfFormatException.unsupported("file larger than 2 GiB: " + size + " bytes (no Go program is)");
            }
            return new ElfFile(ch.map(FileChannel.MapMode.READ_ONLY, 0, size));
        }
    }

    /** The path names something that is not a regular file: a FIFO, a device, a directory, a socket. */
    public static final class NotRegularFileException extends IOException {
        NotRegularFileException(String message) {
            super(message);
        }
    }

    /** For tests and fuzzing: an ELF image already in memory. */
    public static ElfFile of(byte[] image) throws ElfFormatException {
        return new ElfFile(ByteBuffer.wrap(image));
    }

    public int type() {
        return type;
    }

    public int machine() {
        return machine;
    }

    /** "amd64", "arm64", or "machine N". */
    public String arch() {
        return switch (machine) {
            case EM_X86_64 -> "amd64";
            case EM_AARCH64 -> "arm64";
            default -> "machine " + machine;
        };
    }

    public List<Section> sections() {
        return sections;
    }

    public List<Segment> segments() {
        return segments;
    }

    public Optional<Section> section(String name) {
        return sections.stream().filter(s -> s.name().equals(name)).findFirst();
    }

    /** A section's bytes (bounds already checked when the section table was read). */
    public ByteBuffer contents(Section s) {
        if (s.type() == SHT_NOBITS) {
            return ByteBuffer.allocate(0).order(ByteOrder.LITTLE_ENDIAN);
        }
        return data.slice((int) s.offset(), (int) s.size()).order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * The bytes of debug section {@code name} (".debug_info", ...), decompressed: found as
     * {@code name} (plain or SHF_COMPRESSED with zlib, as Go's linker writes since 1.12 on ELF) or
     * as its ".zdebug_" twin (the GNU "ZLIB" framing). Empty when neither exists.
     */
    public Optional<ByteBuffer> debugSection(String name) throws ElfFormatException {
        return debugSection(name, Integer.MAX_VALUE);
    }

    /**
     * At most the first {@code maxBytes} of debug section {@code name}, decompressing no more
     * than that (a unit header costs microseconds even in a 50 MB binary).
     */
    public Optional<ByteBuffer> debugSection(String name, int maxBytes) throws ElfFormatException {
        Optional<Section> plain = section(name);
        if (plain.isPresent()) {
            Section s = plain.get();
            ByteBuffer raw = contents(s);
            if ((s.flags() & SHF_COMPRESSED) == 0) {
                return Optional.of(raw.limit() <= maxBytes ? raw : raw.slice(0, maxBytes).order(ByteOrder.LITTLE_ENDIAN));
            }
            if (raw.limit() < 24) {
                throw new ElfFormatException(name + ": compressed section shorter than its header");
            }
            int chType = raw.getInt(0);
            if (chType != ELFCOMPRESS_ZLIB) {
                throw new ElfFormatException(name + ": compression type " + chType + " is not supported (only zlib)");
            }
            return Optional.of(inflate(name, raw.slice(24, raw.limit() - 24), raw.getLong(8), maxBytes));
        }
        Optional<Section> gnu = section(".zdebug_" + name.substring(name.startsWith(".debug_") ? 7 : 0));
        if (gnu.isEmpty()) {
            return Optional.empty();
        }
        ByteBuffer raw = contents(gnu.get());
        if (raw.limit() < 12 || raw.getInt(0) != 0x42494c5a) {   // "ZLIB"
            throw new ElfFormatException(gnu.get().name() + ": no ZLIB header");
        }
        long size = raw.order(ByteOrder.BIG_ENDIAN).getLong(4);
        raw.order(ByteOrder.LITTLE_ENDIAN);
        return Optional.of(inflate(gnu.get().name(), raw.slice(12, raw.limit() - 12), size, maxBytes));
    }

    private static ByteBuffer inflate(String name, ByteBuffer compressed, long declared, int maxBytes) throws ElfFormatException {
        // zlib cannot expand more than ~1032:1; anything claiming more is lying about its size.
        if (declared < 0 || declared > MAX_DEBUG_SECTION || declared > (compressed.limit() + 64L) * 1032) {
            throw new ElfFormatException(name + ": implausible uncompressed size " + declared);
        }
        byte[] out = new byte[(int) Math.min(declared, maxBytes)];
        java.util.zip.Inflater inflater = new java.util.zip.Inflater();
        try {
            inflater.setInput(compressed);
            int n = 0;
            while (n < out.length && !inflater.finished()) {
                int k = inflater.inflate(out, n, out.length - n);
                if (k == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
                    break;
                }
                n += k;
            }
            if (n != out.length) {
                throw new ElfFormatException(name + ": decompressed to " + n + " bytes, header says " + declared);
            }
            if (out.length == declared && !inflater.finished() && inflater.inflate(new byte[1]) > 0) {
                throw new ElfFormatException(name + ": decompresses to more than the " + declared + " bytes its header says");
            }
        } catch (java.util.zip.DataFormatException e) {
            throw new ElfFormatException(name + ": corrupt zlib data (" + e.getMessage() + ")");
        } finally {
            inflater.end();
        }
        return ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Every note in the file's SHT_NOTE sections (Go build id, GNU build id, ...), bounds-checked. */
    public List<Note> notes() throws ElfFormatException {
        List<Note> out = new ArrayList<>();
        for (Section s : sections) {
            if (s.type() != SHT_NOTE) {
                continue;
            }
            ByteBuffer b = contents(s);
            int off = 0;
            while (off + 12 <= b.limit()) {
                long namesz = Integer.toUnsignedLong(b.getInt(off));
                long descsz = Integer.toUnsignedLong(b.getInt(off + 4));
                int noteType = b.getInt(off + 8);
                long nameEnd = off + 12L + namesz;
                long descOff = off + 12L + align4(namesz);
                long descEnd = descOff + descsz;
                if (nameEnd > b.limit() || descEnd > b.limit()) {
                    throw new ElfFormatException("note in " + s.name() + " runs past its section");
                }
                int nameLen = 0;   // up to the first NUL: Go pads its "Go" to namesz 4 ("Go\0\0")
                while (nameLen < namesz && b.get(off + 12 + nameLen) != 0) {
                    nameLen++;
                }
                byte[] name = new byte[nameLen];
                b.get(off + 12, name);
                byte[] desc = new byte[(int) descsz];
                b.get((int) descOff, desc);
                out.add(new Note(s.name(), new String(name, StandardCharsets.ISO_8859_1), noteType, desc));
                off = (int) (descOff + align4(descsz));
            }
        }
        return out;
    }

    private static long align4(long n) {
        return (n + 3) & ~3L;
    }

    /** The Go build id ("Go" note of type 4), as {@code go tool buildid} prints it. */
    public Optional<String> goBuildId() throws ElfFormatException {
        return notes().stream().filter(n -> n.name().equals("Go") && n.type() == 4)
                .map(n -> new String(n.desc(), StandardCharsets.UTF_8)).findFirst();
    }

    /**
     * The GNU build id (the first "GNU" note of type 3, NT_GNU_BUILD_ID) in hex, as the linker
     * wrote it: what runtime/pprof/elf.go's elfBuildID reads and Go's profiles carry. Go's linker
     * writes one by default from Go 1.24 on, derived from the Go build id.
     */
    public Optional<String> gnuBuildId() throws ElfFormatException {
        return notes().stream().filter(n -> n.name().equals("GNU") && n.type() == 3)
                .map(n -> java.util.HexFormat.of().formatHex(n.desc())).findFirst();
    }

    /** True when the file carries DWARF (plain or zlib-compressed .zdebug). */
    public boolean hasDwarf() {
        return section(".debug_info").isPresent() || section(".zdebug_info").isPresent();
    }

    /**
     * {@code length} bytes at virtual address {@code vaddr}, from the file bytes of the PT_LOAD
     * segment holding them; empty when no segment holds them whole.
     */
    public Optional<ByteBuffer> readVirtual(long vaddr, int length) {
        for (Segment seg : segments) {
            // Addresses are unsigned, and vaddr + length must not wrap: compare the distance into the segment.
            long delta = vaddr - seg.vaddr();
            if (seg.type() == PT_LOAD && length >= 0 && length <= seg.fileSize()
                    && Long.compareUnsigned(vaddr, seg.vaddr()) >= 0
                    && Long.compareUnsigned(delta, seg.fileSize() - length) <= 0) {
                long off = seg.offset() + delta;
                return Optional.of(data.slice((int) off, length).order(ByteOrder.LITTLE_ENDIAN));
            }
        }
        return Optional.empty();
    }

    /**
     * The 8-byte word at virtual address {@code vaddr} as the loader leaves it in a process loaded
     * at the file's link addresses: where a RELATIVE relocation writes that word, the
     * relocation's addend, else the file's word. A position-independent executable linked with
     * RELA relocations (the system linker's, as distributions build Go programs, and Go's own
     * linker for -buildmode=pie) holds its data's absolute addresses as relocations: the loader
     * writes base + addend and never reads the word in the file (glibc's
     * elf_machine_rela_relative), which holds 0 on amd64 and, from GNU ld on arm64, a value that
     * is not the address. REL and RELR relocations keep the addend in place, so the file's word
     * is right for them. Empty when no PT_LOAD segment holds the word in the file.
     */
    public java.util.OptionalLong word(long vaddr) throws ElfFormatException {
        Optional<ByteBuffer> b = readVirtual(vaddr, 8);
        if (b.isEmpty()) {
            return java.util.OptionalLong.empty();
        }
        Relocations r = relative();
        int i = java.util.Arrays.binarySearch(r.at, vaddr);
        return java.util.OptionalLong.of(i >= 0 ? r.addend[i] : b.get().getLong(0));
    }

    /**
     * The 8-aligned words of section {@code s} as loaded (as {@link #word} reads each): the
     * section's words, with every RELATIVE relocation's addend in place. Empty for SHT_NOBITS.
     */
    public long[] words(Section s) throws ElfFormatException {
        ByteBuffer data = contents(s);
        long[] out = new long[data.limit() / 8];
        for (int i = 0; i < out.length; i++) {
            out[i] = data.getLong(i * 8);
        }
        Relocations r = relative();
        int from = java.util.Arrays.binarySearch(r.at, s.address());
        for (int i = from >= 0 ? from : -from - 1; i < r.at.length && r.at[i] - s.address() < out.length * 8L; i++) {
            long off = r.at[i] - s.address();
            if ((off & 7) == 0) {
                out[(int) (off >>> 3)] = r.addend[i];
            }
        }
        return out;
    }

    /** The sorted (address, addend) pairs of every RELATIVE relocation in the file's SHT_RELA sections. */
    private synchronized Relocations relative() throws ElfFormatException {
        if (relative != null) {
            return relative;
        }
        int want = machine == EM_AARCH64 ? R_AARCH64_RELATIVE : R_X86_64_RELATIVE;
        long[] at = new long[0];
        long[] addend = new long[0];
        int n = 0;
        for (Section s : sections) {
            if (s.type() != SHT_RELA) {
                continue;
            }
            ByteBuffer rela = contents(s);
            int entries = rela.limit() / 24;   // Elf64_Rela: r_offset, r_info, r_addend
            if ((long) n + entries > MAX_RELOCATIONS) {
                throw new ElfFormatException(s.name() + " holds more than " + MAX_RELOCATIONS + " relocations");
            }
            at = java.util.Arrays.copyOf(at, n + entries);
            addend = java.util.Arrays.copyOf(addend, n + entries);
            for (int e = 0; e < entries; e++) {
                if ((int) rela.getLong(e * 24 + 8) == want) {   // ELF64_R_TYPE: the low 32 bits of r_info
                    at[n] = rela.getLong(e * 24);
                    addend[n] = rela.getLong(e * 24 + 16);
                    n++;
                }
            }
        }
        at = java.util.Arrays.copyOf(at, n);
        addend = java.util.Arrays.copyOf(addend, n);
        if (!sorted(at)) {   // linkers sort them (ld's -z combreloc); a file that does not is sorted here
            Integer[] order = new Integer[n];
            for (int i = 0; i < n; i++) {
                order[i] = i;
            }
            long[] a = at;
            java.util.Arrays.sort(order, java.util.Comparator.comparingLong(i -> a[i]));
            long[] sortedAt = new long[n];
            long[] sortedAddend = new long[n];
            for (int i = 0; i < n; i++) {
                sortedAt[i] = at[order[i]];
                sortedAddend[i] = addend[order[i]];
            }
            at = sortedAt;
            addend = sortedAddend;
        }
        relative = new Relocations(at, addend);
        return relative;
    }

    private static boolean sorted(long[] a) {
        for (int i = 1; i < a.length; i++) {
            if (a[i - 1] > a[i]) {
                return false;
            }
        }
        return true;
    }

    private record Relocations(long[] at, long[] addend) {}

    /** The lowest PT_LOAD virtual address: with the load address of a PIE, gives its bias. */
    public long firstLoadAddress() {
        return segments.stream().filter(s -> s.type() == PT_LOAD).mapToLong(Segment::vaddr).min().orElse(0);
    }

    /**
     * Looks up the named symbols in .symtab in one pass; names not found are absent from the
     * map. Empty when the binary is stripped of its symbol table.
     */
    public Map<String, Symbol> symbols(Collection<String> names) throws ElfFormatException {
        Optional<Section> symtab = sections.stream().filter(s -> s.type() == SHT_SYMTAB).findFirst();
        if (symtab.isEmpty()) {
            return Map.of();
        }
        Section st = symtab.get();
        if (st.link() < 0 || st.link() >= sections.size()) {   // sh_link is unsigned: >= 2^31 reads negative
            throw new ElfFormatException(".symtab links to a missing string table");
        }
        ByteBuffer strtab = contents(sections.get(st.link()));
        ByteBuffer syms = contents(st);
        Set<String> wanted = new HashSet<>(names);
        Map<String, Symbol> found = new HashMap<>();
        byte[][] wantedBytes = wanted.stream().map(n -> n.getBytes(StandardCharsets.UTF_8)).toArray(byte[][]::new);
        for (int off = 0; off + 24 <= syms.limit() && found.size() < wanted.size(); off += 24) {
            int nameOff = syms.getInt(off);
            for (byte[] w : wantedBytes) {
                if (matchesAt(strtab, nameOff, w)) {
                    String name = new String(w, StandardCharsets.UTF_8);
                    found.putIfAbsent(name, new Symbol(name, syms.getLong(off + 8), syms.getLong(off + 16)));
                }
            }
        }
        return found;
    }

    private static boolean matchesAt(ByteBuffer strtab, int off, byte[] name) {
        if (off < 0 || (long) off + name.length >= strtab.limit()) {   // long: st_name near 2^31 must not wrap
            return false;
        }
        for (int i = 0; i < name.length; i++) {
            if (strtab.get(off + i) != name[i]) {
                return false;
            }
        }
        return strtab.get(off + name.length) == 0;
    }

    private List<Segment> readSegments() throws ElfFormatException {
        long phoff = data.getLong(32);
        int phentsize = Short.toUnsignedInt(data.getShort(54));
        int phnum = Short.toUnsignedInt(data.getShort(56));
        if (phnum == 0) {
            return List.of();
        }
        if (phentsize < 56 || phnum > MAX_SEGMENTS || !fits(phoff, (long) phentsize * phnum)) {
            throw new ElfFormatException("program header table out of bounds (truncated file?)");
        }
        List<Segment> out = new ArrayList<>(phnum);
        for (int i = 0; i < phnum; i++) {
            int o = (int) (phoff + (long) i * phentsize);
            Segment s = new Segment(data.getInt(o), data.getInt(o + 4), data.getLong(o + 8),
                    data.getLong(o + 16), data.getLong(o + 32), data.getLong(o + 40));
            if (s.type() == PT_LOAD && !fits(s.offset(), s.fileSize())) {
                throw new ElfFormatException("segment " + i + " lies outside the file (truncated file?)");
            }
            out.add(s);
        }
        return List.copyOf(out);
    }

    private List<Section> readSections() throws ElfFormatException {
        long shoff = data.getLong(40);
        int shentsize = Short.toUnsignedInt(data.getShort(58));
        int shnum = Short.toUnsignedInt(data.getShort(60));
        int shstrndx = Short.toUnsignedInt(data.getShort(62));
        if (shnum == 0 || shoff == 0) {
            return List.of();
        }
        if (shentsize < 64 || shnum > MAX_SECTIONS || !fits(shoff, (long) shentsize * shnum)) {
            throw new ElfFormatException("section header table out of bounds (truncated file?)");
        }
        if (shstrndx >= shnum) {
            throw new ElfFormatException("section name table index " + shstrndx + " out of range");
        }
        long[][] raw = new long[shnum][];
        for (int i = 0; i < shnum; i++) {
            int o = (int) (shoff + (long) i * shentsize);
            raw[i] = new long[] {Integer.toUnsignedLong(data.getInt(o)), data.getInt(o + 4), data.getLong(o + 8),
                data.getLong(o + 16), data.getLong(o + 24), data.getLong(o + 32), Integer.toUnsignedLong(data.getInt(o + 40))};
            if (raw[i][1] != SHT_NOBITS && !fits(raw[i][4], raw[i][5])) {
                throw new ElfFormatException("section " + i + " lies outside the file (truncated file?)");
            }
        }
        long namesOff = raw[shstrndx][4];
        long namesSize = raw[shstrndx][5];
        if (!fits(namesOff, namesSize)) {   // checked above only when not SHT_NOBITS
            throw new ElfFormatException("section name table lies outside the file (truncated file?)");
        }
        List<Section> out = new ArrayList<>(shnum);
        for (long[] r : raw) {
            String name = r[0] < namesSize ? cString(namesOff + r[0], namesOff + namesSize) : "";
            out.add(new Section(name, (int) r[1], r[2], r[3], r[4], r[5], (int) r[6]));
        }
        return List.copyOf(out);
    }

    private String cString(long from, long limit) {
        int end = (int) from;
        while (end < limit && data.get(end) != 0) {
            end++;
        }
        byte[] b = new byte[end - (int) from];
        data.get((int) from, b);
        return new String(b, StandardCharsets.UTF_8);
    }

    private boolean fits(long offset, long length) {
        return offset >= 0 && length >= 0 && offset <= data.capacity() && length <= data.capacity() - offset;
    }

    public record Section(String name, int type, long flags, long address, long offset, long size, int link) {}

    public record Segment(int type, int flags, long offset, long vaddr, long fileSize, long memSize) {}

    public record Symbol(String name, long value, long size) {}

    /** An ELF note: owner name (without its NUL), type, and descriptor bytes. */
    public record Note(String section, String name, int type, byte[] desc) {}
}
