package dev.attachproof.snapshot;

import dev.attachproof.memory.MemoryReader;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * What a stopped snapshot read of a real target, saved so that the goroutine reader and the
 * unwinder can be run on it again with no process: the memory ranges read while the target was
 * stopped (allgs, the g structs, m.procid, labels, the used part of each stack), the registers of
 * the threads read, and what identifies the executable (its Go build id: the binary itself is
 * not kept, it is rebuilt from the same source by the same toolchain with -trimpath), with the
 * dump the live run printed ({@code text}), which a replay must print again.
 * <p>
 * The file is gzip over big-endian {@link DataOutputStream} fields: the magic
 * "attachproof-capture" and version 1, then goVersion, arch, goBuildId (UTF), pid (int), bias
 * and takenNanos (long), environGodebug (UTF), the threads (count; each tid, word count,
 * words), the ranges (count; each address, length, bytes), the text (length, UTF-8 bytes).
 *
 * @param goBuildId      the executable's Go build id (.note.go.buildid)
 * @param bias           the executable's load bias (a PIE's; 0 for a fixed-address one)
 * @param takenNanos     CLOCK_MONOTONIC at the read: the "N minutes" of a wait are counted from it
 * @param environGodebug the target's GODEBUG, "" when none (Go 1.26 prints labels after it)
 * @param registers      each stopped thread's general-purpose registers, as ptrace gave them
 * @param text           the dump of the live snapshot, as {@code goroutines} printed it
 */
public record TargetCapture(String goVersion, String arch, String goBuildId, int pid, long bias, long takenNanos,
                            String environGodebug, Map<Integer, long[]> registers, List<Range> ranges, String text) {
    private static final String MAGIC = "attachproof-capture";
    private static final int VERSION = 1;

    /** Bytes of target memory as read at {@code address}. */
    public record Range(long address, byte[] bytes) {}

    public TargetCapture {
        environGodebug = environGodebug == null ? "" : environGodebug;
        registers = Collections.unmodifiableMap(new TreeMap<>(registers));
        ranges = List.copyOf(ranges);
    }

    public TargetCapture withText(String dump) {
        return new TargetCapture(goVersion, arch, goBuildId, pid, bias, takenNanos, environGodebug, registers, ranges, dump);
    }

    /** Bytes of memory kept, the registers not counted. */
    public long memoryBytes() {
        return ranges.stream().mapToLong(r -> r.bytes().length).sum();
    }

    public void write(OutputStream out) throws IOException {
        try (DataOutputStream d = new DataOutputStream(new GZIPOutputStream(out))) {
            d.writeUTF(MAGIC);
            d.writeInt(VERSION);
            d.writeUTF(goVersion);
            d.writeUTF(arch);
            d.writeUTF(goBuildId);
            d.writeInt(pid);
            d.writeLong(bias);
            d.writeLong(takenNanos);
            d.writeUTF(environGodebug);
            d.writeInt(registers.size());
            for (Map.Entry<Integer, long[]> e : registers.entrySet()) {
                d.writeInt(e.getKey());
                d.writeInt(e.getValue().length);
                for (long w : e.getValue()) {
                    d.writeLong(w);
                }
            }
            d.writeInt(ranges.size());
            for (Range r : ranges) {
                d.writeLong(r.address());
                d.writeInt(r.bytes().length);
                d.write(r.bytes());
            }
            byte[] t = text.getBytes(StandardCharsets.UTF_8);
            d.writeInt(t.length);
            d.write(t);
        }
    }

    public static TargetCapture read(InputStream in) throws IOException {
        try (DataInputStream d = new DataInputStream(new GZIPInputStream(in))) {
            if (!d.readUTF().equals(MAGIC) || d.readInt() != VERSION) {
                throw new IOException("not an attachproof capture of version " + VERSION);
            }
            String goVersion = d.readUTF();
            String arch = d.readUTF();
            String buildId = d.readUTF();
            int pid = d.readInt();
            long bias = d.readLong();
            long taken = d.readLong();
            String godebug = d.readUTF();
            Map<Integer, long[]> regs = new TreeMap<>();
            for (int i = d.readInt(); i > 0; i--) {
                int tid = d.readInt();
                long[] words = new long[d.readInt()];
                for (int k = 0; k < words.length; k++) {
                    words[k] = d.readLong();
                }
                regs.put(tid, words);
            }
            List<Range> ranges = new ArrayList<>();
            for (int i = d.readInt(); i > 0; i--) {
                long address = d.readLong();
                ranges.add(new Range(address, d.readNBytes(d.readInt())));
            }
            String text = new String(d.readNBytes(d.readInt()), StandardCharsets.UTF_8);
            return new TargetCapture(goVersion, arch, buildId, pid, bias, taken, godebug, regs, ranges, text);
        }
    }

    /**
     * The captured memory as a reader: the ranges merged where they overlap or touch (a g read
     * alone and again in a batch), a read served when one merged range holds all of it.
     */
    public MemoryReader memory() {
        TreeMap<Long, byte[]> merged = new TreeMap<>();
        List<Range> sorted = new ArrayList<>(ranges);
        sorted.sort((a, b) -> Long.compareUnsigned(a.address(), b.address()));
        long start = 0;
        byte[] acc = null;
        for (Range r : sorted) {
            if (acc != null && r.address() <= start + acc.length) {
                long end = Math.max(start + acc.length, r.address() + r.bytes().length);
                byte[] grown = Arrays.copyOf(acc, (int) (end - start));
                System.arraycopy(r.bytes(), 0, grown, (int) (r.address() - start), r.bytes().length);
                acc = grown;
            } else {
                if (acc != null) {
                    merged.put(start, acc);
                }
                start = r.address();
                acc = r.bytes().clone();
            }
        }
        if (acc != null) {
            merged.put(start, acc);
        }
        return (address, dst) -> {
            Map.Entry<Long, byte[]> e = merged.floorEntry(address);
            int n = dst.remaining();
            if (e == null || address - e.getKey() + n > e.getValue().length) {
                throw new MemoryReader.MemoryReadException(String.format("0x%x (%d bytes) was not captured", address, n));
            }
            dst.put(dst.position(), e.getValue(), (int) (address - e.getKey()), n);   // the position stays, as other readers leave it
        };
    }

    /**
     * Wraps the stopped snapshot's memory reader and keeps a copy of every range it reads whole;
     * thread-safe, as the copies may run on two threads.
     */
    static final class Recorder implements MemoryReader {
        private final MemoryReader target;
        private final List<Range> kept = Collections.synchronizedList(new ArrayList<>());

        Recorder(MemoryReader target) {
            this.target = target;
        }

        @Override
        public void read(long address, ByteBuffer dst) throws MemoryReadException {
            int from = dst.position();
            int length = dst.remaining();
            target.read(address, dst);
            keep(address, dst, from, length);
        }

        @Override
        public boolean parallel() {
            return target.parallel();
        }

        @Override
        public int readMany(long[] addresses, int[] lengths, ByteBuffer dst) {
            int from = dst.position();
            int done = target.readMany(addresses, lengths, dst);
            for (int i = 0; i < done; i++) {
                keep(addresses[i], dst, from, lengths[i]);
                from += lengths[i];
            }
            return done;
        }

        private void keep(long address, ByteBuffer dst, int from, int length) {
            byte[] b = new byte[length];
            dst.get(from, b);
            kept.add(new Range(address, b));
        }

        List<Range> ranges() {
            synchronized (kept) {
                return List.copyOf(kept);
            }
        }
    }
}
