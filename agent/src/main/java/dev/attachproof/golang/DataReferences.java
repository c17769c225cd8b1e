package dev.attachproof.golang;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The data addresses a function's machine code names: what is left of the symbol table in a
 * stripped binary. Enough decoding to find PC-relative references, not a disassembler:
 * <ul>
 * <li>amd64: RIP-relative ModRM operands (mod 00, r/m 101) of LEA, MOV load and store, CMP and
 *     XCHG with a REX.W prefix, found by sweeping every byte offset. A sweep also finds
 *     byte sequences inside other instructions; callers keep only targets in the data segments
 *     and look for patterns no accident produces.</li>
 * <li>arm64: ADRP followed by ADD (an address), or LDR/STR with an unsigned offset (a load or a
 *     store) on the ADRP's register, as Go's assembler expands {@code MOVD sym(SB)}.</li>
 * </ul>
 */
public final class DataReferences {
    private DataReferences() {}

    /** How the code uses an address: takes it (LEA, ADRP+ADD), loads from it, stores to it, or compares with it. */
    public enum Use { ADDRESS, LOAD, STORE, COMPARE }

    /** One reference: where the instruction is, what it does with the target. */
    public record Ref(long pc, Use use, long target) {}

    /**
     * The references in the machine code of function {@code name}, found through pclntab (which
     * stripping keeps); empty when the function or its code is not there.
     */
    static java.util.Optional<List<Ref>> inFunction(dev.attachproof.elf.ElfFile elf, dev.attachproof.pclntab.Pclntab tab,
                                                    String name) throws dev.attachproof.elf.ElfFormatException {
        java.util.OptionalInt fn = tab.function(name);
        if (fn.isEmpty()) {
            return java.util.Optional.empty();
        }
        long entry = tab.entry(fn.getAsInt());
        long end = tab.entry(fn.getAsInt() + 1);
        if (end <= entry || end - entry > 1 << 16) {
            return java.util.Optional.empty();
        }
        java.util.Optional<ByteBuffer> code = elf.readVirtual(entry, (int) (end - entry));
        if (code.isEmpty()) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(switch (Arch.of(elf.arch())) {
            case Arch.Choice.Supported s -> s.arch().dataReferences(code.get(), entry);
            case Arch.Choice.Unsupported u -> List.<Ref>of();
        });
    }

    /** The references in amd64 code starting at virtual address {@code base} ({@link Arch#dataReferences}). */
    static List<Ref> amd64(ByteBuffer code, long base) {
        List<Ref> out = new ArrayList<>();
        int n = code.limit();
        for (int i = 0; i + 7 <= n; i++) {
            int rex = Byte.toUnsignedInt(code.get(i));
            if ((rex & 0xf8) != 0x48) {   // REX.W, with or without R (0x48-0x4f)
                continue;
            }
            int op = Byte.toUnsignedInt(code.get(i + 1));
            int modrm = Byte.toUnsignedInt(code.get(i + 2));
            if ((modrm & 0xc7) != 0x05) {
                continue;
            }
            Use use;
            int imm = 0;
            switch (op) {
                case 0x8d -> use = Use.ADDRESS;
                case 0x8b -> use = Use.LOAD;
                case 0x89, 0x87 -> use = Use.STORE;   // MOV r/m, r; XCHG (an atomic store)
                case 0x39, 0x3b -> use = Use.COMPARE;
                case 0x83 -> {
                    if ((modrm & 0x38) != 0x38) {   // /7 is CMP
                        continue;
                    }
                    use = Use.COMPARE;
                    imm = 1;
                }
                default -> {
                    continue;
                }
            }
            if (i + 7 + imm > n) {
                continue;
            }
            long next = base + i + 7 + imm;
            out.add(new Ref(base + i, use, next + code.getInt(i + 3)));
        }
        return out;
    }

    /** The references in arm64 code starting at virtual address {@code base} ({@link Arch#dataReferences}). */
    static List<Ref> arm64(ByteBuffer code, long base) {
        List<Ref> out = new ArrayList<>();
        long[] page = new long[32];
        int[] pageAt = new int[32];
        java.util.Arrays.fill(pageAt, -10);
        for (int i = 0; i + 4 <= code.limit(); i += 4) {
            int insn = code.getInt(i);
            long pc = base + i;
            if ((insn & 0x9f000000) == 0x90000000) {   // ADRP
                int rd = insn & 31;
                long imm = ((long) ((insn >>> 5) & 0x7ffff) << 2) | ((insn >>> 29) & 3);
                imm = (imm << 31) >> 31;   // sign-extend 33 bits (21 bits << 12)
                page[rd] = (pc & ~0xfffL) + (imm << 12);
                pageAt[rd] = i;
                continue;
            }
            int rn = (insn >>> 5) & 31;
            if (i - pageAt[rn] > 8) {
                continue;   // Go puts the use right after its ADRP
            }
            if ((insn & 0xff800000) == 0x91000000) {   // ADD Xd, Xn, #imm{, LSL #12}
                long imm = (long) ((insn >>> 10) & 0xfff) << (((insn >>> 22) & 1) * 12);
                out.add(new Ref(pc, Use.ADDRESS, page[rn] + imm));
                pageAt[rn] = -10;
            } else if ((insn & 0x3b000000) == 0x39000000) {   // LDR/STR (unsigned offset)
                int size = insn >>> 30;
                int opc = (insn >>> 22) & 3;
                long imm = (long) ((insn >>> 10) & 0xfff) << size;
                out.add(new Ref(pc, opc == 0 ? Use.STORE : Use.LOAD, page[rn] + imm));
            }
        }
        return out;
    }
}
