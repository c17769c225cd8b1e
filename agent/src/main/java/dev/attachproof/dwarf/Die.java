package dev.attachproof.dwarf;

import dev.attachproof.elf.ElfFormatException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Optional;
import java.util.OptionalLong;

import static dev.attachproof.dwarf.DwarfConstants.*;

/** One debugging information entry, its attributes decoded lazily from the values read. */
public final class Die {
    private final Dwarf dwarf;
    private final Dwarf.Unit unit;
    private final long offset;
    private final int depth;
    private final Dwarf.Abbrev abbrev;
    private final int[] forms;
    private final long[] vals;
    private final int[] lens;

    Die(Dwarf dwarf, Dwarf.Unit unit, long offset, int depth, Dwarf.Abbrev abbrev, int[] forms, long[] vals, int[] lens) {
        this.dwarf = dwarf;
        this.unit = unit;
        this.offset = offset;
        this.depth = depth;
        this.abbrev = abbrev;
        this.forms = forms;
        this.vals = vals;
        this.lens = lens;
    }

    public long offset() {
        return offset;
    }

    public int tag() {
        return abbrev.tag();
    }

    public boolean hasChildren() {
        return abbrev.children();
    }

    /** Nesting depth within its unit, counted from where the walk started. */
    public int depth() {
        return depth;
    }

    public Dwarf.Unit unit() {
        return unit;
    }

    private int index(int attr) {
        int[] attrs = abbrev.attrs();
        for (int i = 0; i < attrs.length; i++) {
            if (attrs[i] == attr) {
                return i;
            }
        }
        return -1;
    }

    public boolean has(int attr) {
        return index(attr) >= 0;
    }

    /** A string attribute (inline, .debug_str, .debug_line_str or indexed); empty when absent or not a string. */
    public Optional<String> string(int attr) throws ElfFormatException {
        int i = index(attr);
        return i < 0 ? Optional.empty() : Optional.ofNullable(dwarf.string(unit, forms[i], vals[i]));
    }

    public String name() throws ElfFormatException {
        return string(AT_NAME).orElse("");
    }

    /** A constant attribute (data, sdata, udata, implicit_const, flag); empty when absent or of another class. */
    public OptionalLong constant(int attr) {
        int i = index(attr);
        if (i < 0) {
            return OptionalLong.empty();
        }
        return switch (forms[i]) {
            case FORM_DATA1, FORM_DATA2, FORM_DATA4, FORM_DATA8, FORM_SDATA, FORM_UDATA, FORM_IMPLICIT_CONST,
                 FORM_FLAG, FORM_FLAG_PRESENT -> OptionalLong.of(vals[i]);
            default -> OptionalLong.empty();
        };
    }

    /** A reference attribute as an absolute .debug_info offset (ref1..8, ref_udata, ref_addr). */
    public OptionalLong reference(int attr) {
        int i = index(attr);
        if (i < 0) {
            return OptionalLong.empty();
        }
        return switch (forms[i]) {
            case FORM_REF1, FORM_REF2, FORM_REF4, FORM_REF8, FORM_REF_UDATA, FORM_REF_ADDR -> OptionalLong.of(vals[i]);
            default -> OptionalLong.empty();
        };
    }

    /** An address attribute (addr, or addrx through .debug_addr). */
    public OptionalLong address(int attr) throws ElfFormatException {
        int i = index(attr);
        if (i < 0) {
            return OptionalLong.empty();
        }
        return switch (forms[i]) {
            case FORM_ADDR -> OptionalLong.of(vals[i]);
            case FORM_ADDRX, FORM_ADDRX1, FORM_ADDRX2, FORM_ADDRX3, FORM_ADDRX4, FORM_GNU_ADDR_INDEX ->
                    OptionalLong.of(dwarf.indexedAddress(unit, vals[i]));
            default -> OptionalLong.empty();
        };
    }

    /** A block or exprloc attribute's bytes. */
    public Optional<ByteBuffer> block(int attr) {
        int i = index(attr);
        if (i < 0 || lens == null) {
            return Optional.empty();
        }
        return switch (forms[i]) {
            case FORM_BLOCK1, FORM_BLOCK2, FORM_BLOCK4, FORM_BLOCK, FORM_EXPRLOC ->
                    Optional.of(dwarf.info.slice((int) vals[i], lens[i]).order(ByteOrder.LITTLE_ENDIAN));
            default -> Optional.empty();
        };
    }

    /** The value as read, whatever its class (offsets for sec_offset forms). */
    OptionalLong rawNumber(int attr) {
        int i = index(attr);
        return i < 0 ? OptionalLong.empty() : OptionalLong.of(vals[i]);
    }

    /**
     * A location given as a single address: DW_OP_addr A or DW_OP_addrx I. Empty for anything
     * else (register or computed locations).
     */
    public OptionalLong staticAddress(int attr) throws ElfFormatException {
        Optional<ByteBuffer> b = block(attr);
        if (b.isEmpty() || b.get().limit() < 2) {
            return OptionalLong.empty();
        }
        ByteBuffer expr = b.get();
        int op = Byte.toUnsignedInt(expr.get(0));
        if (op == OP_ADDR && expr.limit() == 1 + unit.addressSize) {
            return OptionalLong.of(unit.addressSize == 8 ? expr.getLong(1) : Integer.toUnsignedLong(expr.getInt(1)));
        }
        if (op == OP_ADDRX) {
            Cursor c = new Cursor(expr, "location expression", 1, expr.limit());
            return OptionalLong.of(dwarf.indexedAddress(unit, c.uleb()));
        }
        return OptionalLong.empty();
    }

    /**
     * DW_AT_data_member_location as a byte offset: a constant (DWARF 3+), or DW_OP_plus_uconst N
     * (what older producers write). Empty when it is something else.
     */
    public OptionalLong memberOffset() throws ElfFormatException {
        OptionalLong k = constant(AT_DATA_MEMBER_LOCATION);
        if (k.isPresent()) {
            return k;
        }
        Optional<ByteBuffer> b = block(AT_DATA_MEMBER_LOCATION);
        if (b.isPresent() && b.get().limit() >= 2 && Byte.toUnsignedInt(b.get().get(0)) == OP_PLUS_UCONST) {
            Cursor c = new Cursor(b.get(), "member location", 1, b.get().limit());
            long v = c.uleb();
            if (c.atEnd()) {
                return OptionalLong.of(v);
            }
        }
        return OptionalLong.empty();
    }
}
