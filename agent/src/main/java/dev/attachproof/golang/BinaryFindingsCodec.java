package dev.attachproof.golang;

import dev.attachproof.dwarf.StructType;
import dev.attachproof.pclntab.ModuledataWords;
import dev.attachproof.pclntab.Pclntab;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * {@link BinaryFindings} as bytes and back: lengths, numbers and modified-UTF-8 strings in
 * {@link DataOutputStream}'s encoding, every field in a fixed order, so reading is one pass with
 * no parser. Decoding trusts nothing: a count beyond what a runtime has, a byte missing or one
 * too many, and the bytes are refused whole (whoever stored them checks a checksum first; this
 * is what stands behind it). Change {@link #VERSION} with any change to the order or to what
 * is found.
 */
public final class BinaryFindingsCodec {
    /** The encoding's version, written first. */
    public static final int VERSION = 1;
    /** More than any runtime struct has members, or any release has wait reasons. */
    private static final int MAX_ITEMS = 4096;
    /** moduledata has about 60 words in any release; gofunc is the last read, word 40. */
    private static final int MAX_WORD = 256;

    private BinaryFindingsCodec() {}

    /** The bytes of {@code f}; empty when a string is too long for the encoding (none of a real binary is). */
    public static Optional<byte[]> encode(BinaryFindings f) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(8192);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(VERSION);
            RuntimeLayouts.Resolution r = f.layouts();
            writeLayout(out, r.layout().orElseThrow(() -> new IllegalArgumentException("findings without a layout")));
            out.writeUTF(r.source());
            writeStrings(out, r.disagreements());
            out.writeUTF(r.problem());
            out.writeLong(f.list().allgs());
            out.writeLong(f.list().allglen());
            out.writeUTF(f.list().method());
            Pclntab.Findings p = f.pclntab();
            ModuledataWords w = p.words();
            for (int word : new int[] {w.pcHeader(), w.funcnametab(), w.cutab(), w.filetab(), w.text(), w.gofunc()}) {
                out.writeInt(word);
            }
            out.writeUTF(w.source());
            out.writeInt(p.moduledata().length);
            for (long word : p.moduledata()) {
                out.writeLong(word);
            }
            out.writeLong(p.gofunc());
            writeStrings(out, p.funcIds());
        } catch (IOException e) {   // UTFDataFormatException: a string over 64 KiB
            return Optional.empty();
        }
        return Optional.of(bytes.toByteArray());
    }

    /** The findings {@code bytes} hold; empty when they are of another version, cut short, or malformed. */
    public static Optional<BinaryFindings> decode(byte[] bytes) {
        ByteArrayInputStream buffer = new ByteArrayInputStream(bytes);
        try (DataInputStream in = new DataInputStream(buffer)) {
            if (in.readInt() != VERSION) {
                return Optional.empty();
            }
            RuntimeLayout layout = readLayout(in);
            RuntimeLayouts.Resolution r = new RuntimeLayouts.Resolution(Optional.of(layout), in.readUTF(),
                    readStrings(in), in.readUTF());
            GoroutineList list = new GoroutineList(in.readLong(), in.readLong(), in.readUTF());
            ModuledataWords words = new ModuledataWords(word(in), word(in), word(in), word(in), word(in), in.readInt(), in.readUTF());
            if (words.gofunc() < -1 || words.gofunc() >= MAX_WORD) {
                return Optional.empty();
            }
            long[] moduledata = new long[count(in)];
            for (int i = 0; i < moduledata.length; i++) {
                moduledata[i] = in.readLong();
            }
            Pclntab.Findings p = new Pclntab.Findings(words, moduledata, in.readLong(), readStrings(in));
            if (buffer.available() != 0) {
                return Optional.empty();   // bytes after the end: not what this version writes
            }
            return Optional.of(new BinaryFindings(r, list, p));
        } catch (IOException e) {   // EOFException: cut short; UTFDataFormatException: not a string
            return Optional.empty();
        }
    }

    private static void writeLayout(DataOutputStream out, RuntimeLayout l) throws IOException {
        out.writeUTF(l.goVersion());
        out.writeUTF(l.arch());
        out.writeInt(l.structs().size());
        for (StructType t : l.structs().values()) {
            out.writeUTF(t.name());
            out.writeLong(t.size());
            out.writeInt(t.members().size());
            for (StructType.Member m : t.members()) {
                out.writeUTF(m.name());
                out.writeLong(m.offset());
                out.writeLong(m.size());
                out.writeUTF(m.type());
            }
        }
        writeNamed(out, l.gStatus());
        writeNamed(out, l.waitReasons());
    }

    private static RuntimeLayout readLayout(DataInputStream in) throws IOException {
        String goVersion = in.readUTF();
        String arch = in.readUTF();
        Map<String, StructType> structs = new LinkedHashMap<>();
        for (int i = count(in); i > 0; i--) {
            String name = in.readUTF();
            long size = in.readLong();
            List<StructType.Member> members = new ArrayList<>();
            for (int j = count(in); j > 0; j--) {
                members.add(new StructType.Member(in.readUTF(), in.readLong(), in.readLong(), in.readUTF()));
            }
            structs.put(name, new StructType(name, size, List.copyOf(members)));
        }
        return new RuntimeLayout(goVersion, arch, structs, readNamed(in), readNamed(in));
    }

    private static void writeNamed(DataOutputStream out, Map<Integer, RuntimeLayout.Named> named) throws IOException {
        out.writeInt(named.size());
        for (Map.Entry<Integer, RuntimeLayout.Named> e : named.entrySet()) {
            out.writeInt(e.getKey());
            out.writeUTF(e.getValue().constant());
            out.writeUTF(e.getValue().text());
        }
    }

    private static Map<Integer, RuntimeLayout.Named> readNamed(DataInputStream in) throws IOException {
        Map<Integer, RuntimeLayout.Named> out = new TreeMap<>();
        for (int i = count(in); i > 0; i--) {
            out.put(in.readInt(), new RuntimeLayout.Named(in.readUTF(), in.readUTF()));
        }
        return out;
    }

    private static void writeStrings(DataOutputStream out, List<String> strings) throws IOException {
        out.writeInt(strings.size());
        for (String s : strings) {
            out.writeUTF(s);
        }
    }

    private static List<String> readStrings(DataInputStream in) throws IOException {
        List<String> out = new ArrayList<>();
        for (int i = count(in); i > 0; i--) {
            out.add(in.readUTF());
        }
        return List.copyOf(out);
    }

    /** A position in moduledata, refused (as malformed) when negative or past any release's moduledata. */
    private static int word(DataInputStream in) throws IOException {
        int w = in.readInt();
        if (w < 0 || w >= MAX_WORD) {
            throw new IOException("moduledata word " + w + " out of range");
        }
        return w;
    }

    /** A count, refused (as malformed) when negative or past what any runtime has. */
    private static int count(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > MAX_ITEMS) {
            throw new IOException("count " + n + " out of range");
        }
        return n;
    }
}
