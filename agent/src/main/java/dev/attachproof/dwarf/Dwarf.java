package dev.attachproof.dwarf;

import dev.attachproof.elf.ElfFile;
import dev.attachproof.elf.ElfFormatException;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static dev.attachproof.dwarf.DwarfConstants.*;

/**
 * The .debug_info of one ELF file: its units (DWARF 2 to 5, 32- and 64-bit), their abbreviation
 * tables, and DIEs walked in order or read at an offset.
 */
public final class Dwarf {
    private static final int MAX_UNITS = 1 << 20;
    private static final int MAX_ABBREVS = 1 << 20;
    private static final int MAX_ATTRS = 512;

    final ByteBuffer info;
    private final ByteBuffer abbrev;
    private final ByteBuffer str;
    private final ByteBuffer lineStr;
    private final ByteBuffer strOffsets;
    private final ByteBuffer addr;
    private final List<Unit> units;
    private final Map<Long, Map<Long, Abbrev>> abbrevTables = new HashMap<>();

    private Dwarf(ByteBuffer info, ByteBuffer abbrev, ByteBuffer str, ByteBuffer lineStr,
                  ByteBuffer strOffsets, ByteBuffer addr) throws ElfFormatException {
        this.info = info;
        this.abbrev = abbrev;
        this.str = str;
        this.lineStr = lineStr;
        this.strOffsets = strOffsets;
        this.addr = addr;
        this.units = readUnitHeaders();
    }

    /** The file's DWARF, or empty when it has no .debug_info (stripped with -w or -s). */
    public static Optional<Dwarf> of(ElfFile elf) throws ElfFormatException {
        Optional<ByteBuffer> info = elf.debugSection(".debug_info");
        if (info.isEmpty()) {
            return Optional.empty();
        }
        ByteBuffer abbrev = elf.debugSection(".debug_abbrev")
                .orElseThrow(() -> new ElfFormatException("DWARF: .debug_info without .debug_abbrev"));
        return Optional.of(new Dwarf(info.get(), abbrev, orEmpty(elf, ".debug_str"), orEmpty(elf, ".debug_line_str"),
                orEmpty(elf, ".debug_str_offsets"), orEmpty(elf, ".debug_addr")));
    }

    /**
     * The DWARF version of the file's first unit, decompressing only its header; 0 when the file
     * has no DWARF. Go's linker writes every unit with one version (4 up to Go 1.24, 5 from
     * 1.25), so this is the version Delve's DWARF check looks at.
     */
    public static int version(ElfFile elf) throws ElfFormatException {
        Optional<ByteBuffer> head = elf.debugSection(".debug_info", 16);
        if (head.isEmpty()) {
            return 0;
        }
        Cursor c = new Cursor(head.get(), ".debug_info", 0, head.get().limit());
        long length = c.u32();
        if (length == 0xffffffffL) {
            c.u64();
        }
        int version = c.u16();
        if (version < 2 || version > 5) {   // as the full reader says it (units)
            throw new ElfFormatException("DWARF: unit at 0 has version " + version + " (2 to 5 are known)");
        }
        return version;
    }

    private static ByteBuffer orEmpty(ElfFile elf, String name) throws ElfFormatException {
        return elf.debugSection(name).orElse(ByteBuffer.allocate(0));
    }

    public List<Unit> units() {
        return units;
    }

    /** A unit header: where its DIEs lie and how to decode them. */
    public static final class Unit {
        final long offset;
        final int version;
        final int offsetSize;
        final int addressSize;
        final long abbrevOffset;
        final int firstDie;
        final int end;
        Map<Long, Abbrev> abbrevs;
        long strOffsetsBase = 8;
        long addrBase = 8;
        private String name;
        private String producer;

        Unit(long offset, int version, int offsetSize, int addressSize, long abbrevOffset, int firstDie, int end) {
            this.offset = offset;
            this.version = version;
            this.offsetSize = offsetSize;
            this.addressSize = addressSize;
            this.abbrevOffset = abbrevOffset;
            this.firstDie = firstDie;
            this.end = end;
        }

        public int version() {
            return version;
        }

        /** Where the unit starts in .debug_info (its header). */
        public long offset() {
            return offset;
        }

        /** Where the next unit starts. */
        public long end() {
            return end;
        }

        public int addressSize() {
            return addressSize;
        }

        /** The unit DIE's DW_AT_name (for Go: the package path), read by {@link Dwarf#describe}. */
        public String name() {
            return name;
        }

        /** The unit DIE's DW_AT_producer, e.g. "Go cmd/compile go1.22.0; regabi". */
        public String producer() {
            return producer;
        }
    }

    record Abbrev(long code, int tag, boolean children, int[] attrs, int[] forms, long[] implicit) {}

    private List<Unit> readUnitHeaders() throws ElfFormatException {
        List<Unit> out = new ArrayList<>();
        Cursor c = new Cursor(info, ".debug_info", 0, info.limit());
        while (!c.atEnd()) {
            if (out.size() >= MAX_UNITS) {
                throw new ElfFormatException("DWARF: more than " + MAX_UNITS + " units");
            }
            long start = c.pos;
            long length = c.u32();
            int offsetSize = 4;
            if (length == 0xffffffffL) {
                length = c.u64();
                offsetSize = 8;
            } else if (length >= 0xfffffff0L) {
                throw new ElfFormatException("DWARF: reserved unit length 0x" + Long.toHexString(length) + " at " + start);
            }
            int end = c.pos + c.length(length);
            Cursor h = new Cursor(info, ".debug_info", c.pos, end);
            int version = h.u16();
            if (version < 2 || version > 5) {
                throw new ElfFormatException("DWARF: unit at " + start + " has version " + version + " (2 to 5 are known)");
            }
            int addressSize;
            long abbrevOffset;
            if (version == 5) {
                int unitType = h.u8();
                addressSize = h.u8();
                abbrevOffset = h.unsigned(offsetSize);
                switch (unitType) {
                    case 4, 5 -> h.skip(8);                     // skeleton, split_compile: dwo_id
                    case 2, 6 -> h.skip(8L + offsetSize);       // type, split_type: signature, type offset
                    default -> { }
                }
            } else {
                abbrevOffset = h.unsigned(offsetSize);
                addressSize = h.u8();
            }
            if (addressSize != 4 && addressSize != 8) {
                throw new ElfFormatException("DWARF: unit at " + start + " has address size " + addressSize);
            }
            out.add(new Unit(start, version, offsetSize, addressSize, abbrevOffset, h.pos, end));
            c.pos = end;
        }
        return List.copyOf(out);
    }

    private Map<Long, Abbrev> abbrevs(Unit u) throws ElfFormatException {
        if (u.abbrevs != null) {
            return u.abbrevs;
        }
        Map<Long, Abbrev> table = abbrevTables.get(u.abbrevOffset);
        if (table == null) {
            table = readAbbrevs(u.abbrevOffset);
            abbrevTables.put(u.abbrevOffset, table);
        }
        u.abbrevs = table;
        return table;
    }

    private Map<Long, Abbrev> readAbbrevs(long offset) throws ElfFormatException {
        if (offset < 0 || offset >= abbrev.limit()) {
            throw new ElfFormatException("DWARF: abbreviation offset " + offset + " outside .debug_abbrev");
        }
        Cursor c = new Cursor(abbrev, ".debug_abbrev", (int) offset, abbrev.limit());
        Map<Long, Abbrev> table = new HashMap<>();
        while (true) {
            long code = c.uleb();
            if (code == 0) {
                return table;
            }
            if (table.size() >= MAX_ABBREVS) {
                throw new ElfFormatException("DWARF: abbreviation table at " + offset + " never ends");
            }
            int tag = (int) c.uleb();
            boolean children = c.u8() != 0;
            List<long[]> specs = new ArrayList<>();
            while (true) {
                long attr = c.uleb();
                long form = c.uleb();
                if (attr == 0 && form == 0) {
                    break;
                }
                long implicit = form == FORM_IMPLICIT_CONST ? c.sleb() : 0;
                if (specs.size() >= MAX_ATTRS) {
                    throw new ElfFormatException("DWARF: abbreviation " + code + " has over " + MAX_ATTRS + " attributes");
                }
                specs.add(new long[] {attr, form, implicit});
            }
            int[] attrs = new int[specs.size()];
            int[] forms = new int[specs.size()];
            long[] implicit = new long[specs.size()];
            for (int i = 0; i < attrs.length; i++) {
                attrs[i] = (int) specs.get(i)[0];
                forms[i] = (int) specs.get(i)[1];
                implicit[i] = specs.get(i)[2];
            }
            table.putIfAbsent(code, new Abbrev(code, tag, children, attrs, forms, implicit));
        }
    }

    /**
     * Reads the unit DIE of {@code u} for its name, producer and string/address bases, and
     * returns that DIE.
     */
    public Die describe(Unit u) throws ElfFormatException {
        Walker w = walk(u);
        Die cu = w.next();
        if (cu == null) {
            throw new ElfFormatException("DWARF: unit at " + u.offset + " has no DIE");
        }
        u.strOffsetsBase = cu.rawNumber(AT_STR_OFFSETS_BASE).orElse(u.strOffsetsBase);
        u.addrBase = cu.rawNumber(AT_ADDR_BASE).orElse(u.addrBase);
        u.name = cu.string(AT_NAME).orElse("");
        u.producer = cu.string(AT_PRODUCER).orElse("");
        return cu;
    }

    /** Walks the DIEs of {@code u} in order (the unit DIE first). */
    public Walker walk(Unit u) throws ElfFormatException {
        return new Walker(u, u.firstDie);
    }

    /** The DIE at absolute .debug_info {@code offset} (a resolved reference). */
    public Die dieAt(long offset) throws ElfFormatException {
        Unit u = unitAt(offset);
        Walker w = new Walker(u, (int) offset);
        Die d = w.next();
        if (d == null) {
            throw new ElfFormatException("DWARF: reference to a null entry at " + offset);
        }
        return d;
    }

    private Unit unitAt(long offset) throws ElfFormatException {
        int lo = 0;
        int hi = units.size() - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            Unit u = units.get(mid);
            if (offset < u.firstDie) {
                hi = mid - 1;
            } else if (offset >= u.end) {
                lo = mid + 1;
            } else {
                return u;
            }
        }
        throw new ElfFormatException("DWARF: reference " + offset + " lies in no unit");
    }

    /** Sequential DIE reader over one unit; tracks nesting depth (the unit DIE is depth 0). */
    public final class Walker {
        private final Unit unit;
        private final Cursor c;
        private int depth;

        Walker(Unit unit, int from) {
            this.unit = unit;
            this.c = new Cursor(info, ".debug_info", from, unit.end);
        }

        /** The next DIE, or null at the end of the unit. Null entries only change the depth. */
        public Die next() throws ElfFormatException {
            Map<Long, Abbrev> abbrevs = abbrevs(unit);
            while (!c.atEnd()) {
                int at = c.pos;
                long code = c.uleb();
                if (code == 0) {
                    depth--;
                    continue;
                }
                Abbrev a = abbrevs.get(code);
                if (a == null) {
                    throw new ElfFormatException("DWARF: DIE at " + at + " uses unknown abbreviation " + code);
                }
                Die d = read(at, a, depth);
                if (a.children()) {
                    depth++;
                }
                return d;
            }
            return null;
        }

        private Die read(int at, Abbrev a, int dieDepth) throws ElfFormatException {
            int n = a.attrs().length;
            long[] vals = new long[n];
            int[] lens = null;
            int[] forms = a.forms();
            for (int i = 0; i < n; i++) {
                int form = forms[i];
                int indirections = 0;
                while (form == FORM_INDIRECT) {
                    if (++indirections > 4) {
                        throw new ElfFormatException("DWARF: indirect form chain at " + at);
                    }
                    if (forms == a.forms()) {
                        forms = forms.clone();
                    }
                    form = (int) c.uleb();
                    forms[i] = form;
                }
                switch (form) {
                    case FORM_ADDR -> vals[i] = c.unsigned(unit.addressSize);
                    case FORM_DATA1, FORM_FLAG, FORM_STRX1, FORM_ADDRX1 -> vals[i] = c.u8();
                    case FORM_DATA2, FORM_STRX2, FORM_ADDRX2 -> vals[i] = c.u16();
                    case FORM_STRX3, FORM_ADDRX3 -> vals[i] = c.u24();
                    case FORM_DATA4, FORM_STRX4, FORM_ADDRX4, FORM_REF_SUP4 -> vals[i] = c.u32();
                    case FORM_DATA8, FORM_REF_SIG8, FORM_REF_SUP8 -> vals[i] = c.u64();
                    case FORM_DATA16 -> {
                        vals[i] = c.pos;
                        c.skip(16);
                    }
                    case FORM_SDATA -> vals[i] = c.sleb();
                    case FORM_UDATA, FORM_STRX, FORM_ADDRX, FORM_LOCLISTX, FORM_RNGLISTX,
                         FORM_GNU_ADDR_INDEX, FORM_GNU_STR_INDEX -> vals[i] = c.uleb();
                    case FORM_STRING -> vals[i] = c.skipCString();
                    case FORM_STRP, FORM_LINE_STRP, FORM_SEC_OFFSET, FORM_STRP_SUP, FORM_GNU_REF_ALT,
                         FORM_GNU_STRP_ALT -> vals[i] = c.unsigned(unit.offsetSize);
                    case FORM_REF_ADDR -> vals[i] = c.unsigned(unit.version == 2 ? unit.addressSize : unit.offsetSize);
                    case FORM_REF1 -> vals[i] = unit.offset + c.u8();
                    case FORM_REF2 -> vals[i] = unit.offset + c.u16();
                    case FORM_REF4 -> vals[i] = unit.offset + c.u32();
                    case FORM_REF8 -> vals[i] = unit.offset + c.u64();
                    case FORM_REF_UDATA -> vals[i] = unit.offset + c.uleb();
                    case FORM_FLAG_PRESENT -> vals[i] = 1;
                    case FORM_IMPLICIT_CONST -> vals[i] = a.implicit()[i];
                    case FORM_BLOCK1, FORM_BLOCK2, FORM_BLOCK4, FORM_BLOCK, FORM_EXPRLOC -> {
                        long len = switch (form) {
                            case FORM_BLOCK1 -> c.u8();
                            case FORM_BLOCK2 -> c.u16();
                            case FORM_BLOCK4 -> c.u32();
                            default -> c.uleb();
                        };
                        if (lens == null) {
                            lens = new int[n];
                        }
                        lens[i] = c.length(len);
                        vals[i] = c.pos;
                        c.skip(len);
                    }
                    default -> throw new ElfFormatException("DWARF: DIE at " + at + " uses unknown form 0x" + Integer.toHexString(form));
                }
            }
            return new Die(Dwarf.this, unit, at, dieDepth, a, forms, vals, lens);
        }

        public Unit unit() {
            return unit;
        }
    }

    String string(Unit u, int form, long val) throws ElfFormatException {
        return switch (form) {
            case FORM_STRING -> cString(info, ".debug_info", val);
            case FORM_STRP -> cString(str, ".debug_str", val);
            case FORM_LINE_STRP -> cString(lineStr, ".debug_line_str", val);
            case FORM_STRX, FORM_STRX1, FORM_STRX2, FORM_STRX3, FORM_STRX4, FORM_GNU_STR_INDEX -> {
                long slot = u.strOffsetsBase + val * u.offsetSize;
                if (val < 0 || slot < 0 || slot > strOffsets.limit() - u.offsetSize) {
                    throw new ElfFormatException("DWARF: string index " + val + " outside .debug_str_offsets");
                }
                long off = u.offsetSize == 8 ? strOffsets.getLong((int) slot) : Integer.toUnsignedLong(strOffsets.getInt((int) slot));
                yield cString(str, ".debug_str", off);
            }
            default -> null;
        };
    }

    long indexedAddress(Unit u, long index) throws ElfFormatException {
        long slot = u.addrBase + index * u.addressSize;
        if (index < 0 || slot < 0 || slot > addr.limit() - u.addressSize) {
            throw new ElfFormatException("DWARF: address index " + index + " outside .debug_addr");
        }
        return u.addressSize == 8 ? addr.getLong((int) slot) : Integer.toUnsignedLong(addr.getInt((int) slot));
    }

    private static String cString(ByteBuffer b, String section, long off) throws ElfFormatException {
        if (off < 0 || off >= b.limit()) {
            throw new ElfFormatException("DWARF: string offset " + off + " outside " + section);
        }
        int end = (int) off;
        while (end < b.limit() && b.get(end) != 0) {
            end++;
        }
        if (end == b.limit()) {
            throw new ElfFormatException("DWARF: unterminated string in " + section + " at " + off);
        }
        byte[] bytes = new byte[end - (int) off];
        b.get((int) off, bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
