package dev.attachproof.fuzz;

import dev.attachproof.elf.ElfFile;
import dev.attachproof.elf.ElfFormatException;
import dev.attachproof.testing.GoFixture;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import java.util.zip.Deflater;

/**
 * Seeds for the fuzz tests, cut from real Go binaries (the {@code target} fixture, built by
 * {@link GoFixture}): small enough to commit and for libFuzzer to mutate quickly, yet every table
 * in them is the linker's own data.
 *
 * <ul>
 *   <li>{@link #miniElf}: a few-KB ELF keeping the real notes, .go.buildinfo, the debug sections
 *       that are small, a .zdebug_line made from a real .debug_line prefix, the .symtab entries the
 *       agent looks up, and a .gopclntab cut down to a handful of real functions;</li>
 *   <li>{@link #cutPclntab}: that table on its own, a complete pcHeader/functab/_func/pctab for a
 *       few functions;</li>
 *   <li>{@link #pointerFormatBuildInfo}: the real version and module strings in the pre-Go-1.18
 *       pointer encoding of .go.buildinfo, which no toolchain installed here still writes.</li>
 * </ul>
 *
 * Committed seeds under src/test/resources/dev/attachproof/fuzz were written by {@link #main}; the
 * fuzz tests also make the same seeds from freshly built fixtures at run time (JUnit
 * {@code @MethodSource}: replayed in regression mode, mutated in fuzzing mode).
 */
public final class GoSeeds {
    private GoSeeds() {}

    /** Where the fuzz tests put .text in the ELF files they wrap around fuzzer bytes. */
    static final long TEXT_ADDRESS = 0x401000;
    static final long BUILDINFO_ADDRESS = 0x5b7000;
    /** The symbols the agent asks .symtab for (FactsReader.PROOF_SYMBOLS and a few more). */
    static final List<String> SYMBOLS = List.of("runtime.buildVersion", "runtime.allglen", "runtime.allgs",
            "runtime.firstmoduledata", "main.main");
    private static final int GO_1_20 = 0xfffffff1;

    private static final Map<String, byte[]> FIXTURES = new ConcurrentHashMap<>();

    /** The bytes of the target fixture, built by {@code toolchain} ("default", GoFixture.DEBIAN_GO_1_19, ...). */
    static byte[] fixture(String toolchain, boolean stripped) {
        return FIXTURES.computeIfAbsent(toolchain + "/" + stripped, k -> {
            try {
                return Files.readAllBytes(GoFixture.build("target", toolchain, stripped));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    /** The toolchains whose fixtures seed the fuzz tests: two pclntab formats, textStart set and 0. */
    static Stream<String> toolchains() {
        return Stream.of("default", GoFixture.DEBIAN_GO_1_19).filter(GoFixture::available);
    }

    /** A small ELF cut from real Go binary {@code real} (see the class comment). */
    static byte[] miniElf(byte[] real) {
        try {
            ElfFile elf = ElfFile.of(real);
            ElfWriter w = new ElfWriter();
            for (String note : List.of(".note.go.buildid", ".note.gnu.build-id")) {
                elf.section(note).ifPresent(s -> w.add(s.name(), s.type(), s.flags(), s.address(), bytes(elf, s)));
            }
            ElfFile.Section text = elf.section(".text").orElseThrow();
            w.addNoBits(".text", text.flags(), text.address(), text.size());
            w.load(5);
            ElfFile.Section pcln = elf.section(".gopclntab").orElseThrow();
            w.add(".gopclntab", pcln.type(), pcln.flags(), pcln.address(), cutPclntab(bytes(elf, pcln), 6));
            w.load(4);
            ElfFile.Section bi = elf.section(".go.buildinfo").orElseThrow();
            w.add(".go.buildinfo", bi.type(), bi.flags(), bi.address(), bytes(elf, bi));
            w.load(6);
            // Debug sections small enough to keep whole (as compressed as the linker left them) ...
            for (ElfFile.Section s : elf.sections()) {
                if ((s.name().startsWith(".debug_") || s.name().startsWith(".zdebug_")) && s.size() <= 1024) {
                    w.add(s.name(), s.type(), s.flags(), s.address(), bytes(elf, s));
                }
            }
            // ... and the start of .debug_line, re-framed the GNU way (.zdebug_, "ZLIB" + size).
            Optional<ByteBuffer> line = elf.debugSection(".debug_line");
            if (line.isPresent() && elf.section(".zdebug_line").isEmpty()) {
                byte[] prefix = new byte[Math.min(512, line.get().limit())];
                line.get().get(0, prefix);
                w.add(".zdebug_line", ElfWriter.SHT_PROGBITS, 0, 0, gnuZlib(prefix));
            }
            Optional<ElfFile.Section> symtab = elf.sections().stream().filter(s -> s.type() == ElfWriter.SHT_SYMTAB)
                    .findFirst();
            if (symtab.isPresent()) {
                byte[][] tables = symbolSubset(bytes(elf, symtab.get()),
                        bytes(elf, elf.sections().get(symtab.get().link())));
                int strtab = w.add(".strtab", ElfWriter.SHT_STRTAB, 0, 0, tables[1]);
                // .symtab comes after .strtab: its sh_link is strtab's index.
                w.add(".symtab", ElfWriter.SHT_SYMTAB, 0, 0, tables[0], strtab, 1, 24, 0);
            }
            return w.build();
        } catch (ElfFormatException e) {
            throw new IllegalStateException("fixture is not a readable Go binary: " + e.getMessage(), e);
        }
    }

    /** {@code pclntab} (a whole .gopclntab, Go 1.18+) cut down to at most {@code max} of its functions. */
    static byte[] cutPclntab(byte[] pclntab, int max) {
        ByteBuffer t = ByteBuffer.wrap(pclntab).order(ByteOrder.LITTLE_ENDIAN);
        int funcSize = t.getInt(0) == GO_1_20 ? 44 : 40;
        int nfunc = (int) t.getLong(8);
        int funcnameOff = (int) t.getLong(32);
        int cuOff = (int) t.getLong(40);
        int filetabOff = (int) t.getLong(48);
        int pctabOff = (int) t.getLong(56);
        int pclnOff = (int) t.getLong(64);

        // The first two functions (the start of .text), then main.* ones: real, varied, small.
        Set<Integer> keep = new TreeSet<>(List.of(0, 1));
        for (int i = 0; i < nfunc && keep.size() < max; i++) {
            int f = pclnOff + t.getInt(pclnOff + i * 8 + 4);
            if (cString(t, funcnameOff + t.getInt(f + 4)).startsWith("main.")) {
                keep.add(i);
            }
        }
        ByteArrayOutputStream names = new ByteArrayOutputStream();
        ByteArrayOutputStream cutab = new ByteArrayOutputStream();
        ByteArrayOutputStream filetab = new ByteArrayOutputStream();
        ByteArrayOutputStream pctab = new ByteArrayOutputStream();
        pctab.write(0);   // offset 0 means "no table"
        Map<Integer, Integer> files = new HashMap<>();
        List<byte[]> funcs = new ArrayList<>();
        for (int i : keep) {
            int f = pclnOff + t.getInt(pclnOff + i * 8 + 4);
            ByteBuffer rec = ByteBuffer.allocate(funcSize).order(ByteOrder.LITTLE_ENDIAN);
            t.get(f, rec.array());
            rec.putInt(4, names.size());
            names.writeBytes((cString(t, funcnameOff + t.getInt(f + 4)) + "\0").getBytes(StandardCharsets.UTF_8));
            int[] maxFile = {-1};
            for (int field : new int[] {16, 20, 24}) {   // pcsp, pcfile, pcln
                int off = t.getInt(f + field);
                if (off != 0) {
                    rec.putInt(field, pctab.size());
                    pctab.writeBytes(pcTable(t, pctabOff + off, field == 20 ? maxFile : new int[1]));
                }
            }
            rec.putInt(28, 0);              // npcdata: the pcdata tables are not read
            rec.put(funcSize - 1, (byte) 0);  // nfuncdata
            rec.putInt(32, cutab.size() / 4);
            int cu = t.getInt(f + 32);
            for (int k = 0; k <= maxFile[0]; k++) {
                int orig = t.getInt(cuOff + (cu + k) * 4);
                int mapped = orig == -1 ? -1 : files.computeIfAbsent(orig, o -> {
                    int at = filetab.size();
                    filetab.writeBytes((cString(t, filetabOff + o) + "\0").getBytes(StandardCharsets.UTF_8));
                    return at;
                });
                cutab.writeBytes(le32(mapped));
            }
            funcs.add(rec.array());
        }

        int k = keep.size();
        int nameAt = 72;
        int cuAt = nameAt + names.size();
        int fileAt = cuAt + cutab.size();
        int pcAt = fileAt + filetab.size();
        int lnAt = (pcAt + pctab.size() + 7) & ~7;
        ByteBuffer out = ByteBuffer.allocate(lnAt + (k + 1) * 8 + k * funcSize).order(ByteOrder.LITTLE_ENDIAN);
        out.put(0, pclntab, 0, 72);
        out.putLong(8, k).putLong(16, cutab.size() / 4).putLong(32, nameAt).putLong(40, cuAt).putLong(48, fileAt)
                .putLong(56, pcAt).putLong(64, lnAt);
        out.put(nameAt, names.toByteArray()).put(cuAt, cutab.toByteArray()).put(fileAt, filetab.toByteArray())
                .put(pcAt, pctab.toByteArray());
        int j = 0;
        int last = 0;
        for (int i : keep) {
            out.putInt(lnAt + j * 8, t.getInt(pclnOff + i * 8)).putInt(lnAt + j * 8 + 4, (k + 1) * 8 + j * funcSize);
            out.put(lnAt + (k + 1) * 8 + j * funcSize, funcs.get(j));
            last = i;
            j++;
        }
        // The end of the last function kept: the entry of the one after it in the real table.
        out.putInt(lnAt + k * 8, t.getInt(pclnOff + (last + 1) * 8));
        return out.array();
    }

    /**
     * .go.buildinfo in the pointer encoding older linkers wrote (flags bit 1 clear): the header
     * points at two Go string headers, which point at the strings; all inside the section, which
     * the caller loads at {@code address}.
     */
    static byte[] pointerFormatBuildInfo(String version, String modinfo, long address) {
        byte[] v = version.getBytes(StandardCharsets.UTF_8);
        byte[] m = modinfo.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(32 + 32 + v.length + m.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put("\u00ff Go buildinf:".getBytes(StandardCharsets.ISO_8859_1));
        b.put(14, (byte) 8).put(15, (byte) 0);
        b.putLong(16, address + 32).putLong(24, address + 48);
        b.putLong(32, address + 64).putLong(40, v.length);
        b.putLong(48, address + 64 + v.length).putLong(56, m.length);
        b.put(64, v).put(64 + v.length, m);
        return b.array();
    }

    /** The version and raw module-info strings of a Go 1.18+ (inline-encoded) .go.buildinfo. */
    static String[] inlineBuildInfoStrings(byte[] section) {
        ByteBuffer b = ByteBuffer.wrap(section).position(32);
        return new String[] {varintString(b), varintString(b)};
    }

    /** Bytes of a section of a real binary: what a fuzz test overwrites a window of. */
    static byte[] bytes(ElfFile elf, ElfFile.Section s) {
        ByteBuffer b = elf.contents(s);
        byte[] out = new byte[b.limit()];
        b.get(0, out);
        return out;
    }

    static byte[] gnuZlib(byte[] plain) {
        Deflater d = new Deflater();
        d.setInput(plain);
        d.finish();
        byte[] buf = new byte[plain.length + 64];
        int n = d.deflate(buf);
        d.end();
        ByteBuffer b = ByteBuffer.allocate(12 + n).order(ByteOrder.BIG_ENDIAN);
        b.put("ZLIB".getBytes(StandardCharsets.US_ASCII)).putLong(plain.length).put(buf, 0, n);
        return b.array();
    }

    /** {.symtab, .strtab} holding the null symbol and {@link #SYMBOLS} as found in the real tables. */
    private static byte[][] symbolSubset(byte[] symtab, byte[] strtab) {
        ByteArrayOutputStream syms = new ByteArrayOutputStream();
        ByteArrayOutputStream strs = new ByteArrayOutputStream();
        syms.writeBytes(new byte[24]);
        strs.write(0);
        ByteBuffer st = ByteBuffer.wrap(strtab);
        for (int off = 24; off + 24 <= symtab.length; off += 24) {
            ByteBuffer e = ByteBuffer.wrap(symtab, off, 24).slice().order(ByteOrder.LITTLE_ENDIAN);
            String name = cString(st, e.getInt(0));
            if (SYMBOLS.contains(name)) {
                byte[] copy = new byte[24];
                e.get(0, copy);
                ByteBuffer.wrap(copy).order(ByteOrder.LITTLE_ENDIAN).putInt(0, strs.size());
                syms.writeBytes(copy);
                strs.writeBytes((name + "\0").getBytes(StandardCharsets.UTF_8));
            }
        }
        return new byte[][] {syms.toByteArray(), strs.toByteArray()};
    }

    /** The bytes of the pc-value table at {@code p}, through its terminating zero; the largest value in {@code max[0]}. */
    private static byte[] pcTable(ByteBuffer t, int p, int[] max) {
        int start = p;
        int val = -1;
        for (boolean first = true; ; first = false) {
            long[] uv = varint(t, p);
            p = (int) uv[1];
            if (uv[0] == 0 && !first) {
                break;
            }
            int d = (int) uv[0];
            val += (d & 1) != 0 ? ~(d >>> 1) : d >>> 1;
            max[0] = Math.max(max[0], val);
            p = (int) varint(t, p)[1];
        }
        byte[] out = new byte[p - start];
        t.get(start, out);
        return out;
    }

    private static long[] varint(ByteBuffer t, int p) {
        long v = 0;
        for (int shift = 0; ; shift += 7) {
            byte b = t.get(p++);
            v |= (long) (b & 0x7f) << shift;
            if ((b & 0x80) == 0) {
                return new long[] {v, p};
            }
        }
    }

    private static String varintString(ByteBuffer b) {
        long len = 0;
        for (int shift = 0; ; shift += 7) {
            byte x = b.get();
            len |= (long) (x & 0x7f) << shift;
            if ((x & 0x80) == 0) {
                break;
            }
        }
        byte[] s = new byte[(int) len];
        b.get(s);
        return new String(s, StandardCharsets.UTF_8);
    }

    private static String cString(ByteBuffer b, int off) {
        int end = off;
        while (b.get(end) != 0) {
            end++;
        }
        byte[] s = new byte[end - off];
        b.get(off, s);
        return new String(s, StandardCharsets.UTF_8);
    }

    private static byte[] le32(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
    }

    /**
     * Writes the committed seeds: {@code GoSeeds <agent/src/test/resources/dev/attachproof/fuzz>}.
     * Run from agent/ after a test run has built the fixtures (see FUZZING.md).
     */
    public static void main(String[] args) throws IOException {
        Path out = Path.of(args.length > 0 ? args[0] : "src/test/resources/dev/attachproof/fuzz");
        for (String toolchain : toolchains().toList()) {
            byte[] real = fixture(toolchain, false);
            ElfFile elf = ElfFile.of(real);
            String tag = dev.attachproof.buildinfo.GoBuildInfo.read(elf).orElseThrow().goVersion();
            byte[] mini = miniElf(real);
            write(out.resolve("ElfFuzzTestInputs/elfImage/seed-mini-" + tag + ".elf"), mini);
            byte[] pcln = bytes(elf, elf.section(".gopclntab").orElseThrow());
            write(out.resolve("PclntabFuzzTestInputs/pclntabSection/seed-cut-" + tag + ".bin"), cutPclntab(pcln, 6));
            byte[] bi = bytes(elf, elf.section(".go.buildinfo").orElseThrow());
            write(out.resolve("GoBuildInfoFuzzTestInputs/buildInfoSection/seed-inline-" + tag + ".bin"), bi);
            String[] strings = inlineBuildInfoStrings(bi);
            write(out.resolve("GoBuildInfoFuzzTestInputs/buildInfoSection/seed-pointer-" + tag + ".bin"),
                    pointerFormatBuildInfo(strings[0], strings[1], BUILDINFO_ADDRESS));
        }
    }

    private static void write(Path file, byte[] bytes) throws IOException {
        Files.createDirectories(file.getParent());
        Files.write(file, bytes);
        System.out.println(file + ": " + bytes.length + " bytes");
    }
}
