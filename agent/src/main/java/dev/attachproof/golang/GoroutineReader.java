package dev.attachproof.golang;

import dev.attachproof.dwarf.StructType;
import dev.attachproof.memory.CapturedMemory;
import dev.attachproof.memory.CopyBuffers;
import dev.attachproof.memory.MemoryReader;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Optional;

/**
 * Reads every goroutine of a target from {@code runtime.allgs}, through the layout of its Go
 * release: the slice header and {@code allglen} (which must agree: allgadd updates both under
 * allglock), the pointer array in one read, then every g copied in batches ({@link Copied}),
 * to be decoded after the target runs again. The reader is made from the layout alone, before a
 * target stops; each read names the memory it reads.
 */
public final class GoroutineReader {
    /** More than this is not a goroutine count: a wrong address, or memory that moved under a --no-stop read. */
    static final long MAX_GOROUTINES = 50_000_000L;
    private static final int POINTER_CHUNK = 1 << 20;

    private final RuntimeLayout layout;
    private final StructType g;
    private final Field goid, status, waitreason, waitsince, gopc, startpc, parentGoid, lockedm, m,
            schedPc, schedSp, schedLr, syscallPc, syscallSp, stackLo, stackHi, labels;
    /**
     * What tells whether a goroutine may have run between two copies of its g ({@link
     * Copied#unchanged}): trackingSeq, status, id, the saved SP, PC and LR, the syscall pair,
     * the stack bounds and the labels; empty when the layout has no trackingSeq (then no
     * goroutine counts as unchanged). trackingSeq first, status second.
     */
    private final Field[] state;
    private final String[] statuses;
    private final boolean[] waiting;
    private final boolean[] dead;
    private final String[] reasons;

    /** Made from the layout alone, before any target stops; each read names its memory. */
    public GoroutineReader(RuntimeLayout layout) {
        this.layout = layout;
        this.g = layout.structs().get("runtime.g");
        if (g == null) {
            throw new IllegalArgumentException("the layout has no runtime.g");
        }
        long schedOff = required("runtime.g", "sched").offset();
        long stackOff = required("runtime.g", "stack").offset();
        goid = field("goid", 0);
        status = field("atomicstatus", 0);
        waitreason = field("waitreason", 0);
        waitsince = field("waitsince", 0);
        gopc = field("gopc", 0);
        startpc = field("startpc", 0);
        parentGoid = optionalField("runtime.g", "parentGoid", 0);
        lockedm = field("lockedm", 0);
        m = field("m", 0);
        schedPc = sub("runtime.gobuf", "pc", schedOff);
        schedSp = sub("runtime.gobuf", "sp", schedOff);
        schedLr = optionalField("runtime.gobuf", "lr", schedOff);
        syscallPc = field("syscallpc", 0);
        syscallSp = field("syscallsp", 0);
        stackLo = sub("runtime.stack", "lo", stackOff);
        stackHi = sub("runtime.stack", "hi", stackOff);
        labels = optionalField("runtime.g", "labels", 0);
        state = stateFields();
        statuses = statusWords(layout);
        waiting = statuses(layout, "_Gwaiting", "_Gleaked");
        dead = statuses(layout, "_Gdead", "_Gdeadextra");
        reasons = reasonWords(layout);
    }

    /**
     * The fields {@link Copied#unchanged} compares. trackingSeq is the one that makes the
     * comparison mean "did not run": casgstatus increments it every time the goroutine leaves
     * _Grunning (runtime/proc.go, Go 1.17 to 1.26: "Handle tracking for scheduling latencies"),
     * so a goroutine that ran and parked again at the very same place still differs, unless it
     * did so a multiple of 256 times (the counter is a uint8) and came back to the same SP and
     * PC. That wrap is not rare in a goroutine that parks and wakes thousands of times a
     * millisecond (the churn fixture's ping goroutines showed it under load), so trackingSeq alone
     * proves nothing. waitsince does: execute() sets it to 0 every time the goroutine is given a
     * thread (runtime/proc.go; exitsyscall too), and only a GC's mark phase sets it again, to
     * work.tstart (mgcmark.go, markroot: "remember when we've first observed the G blocked"),
     * once per cycle and g. work.tstart is set at mark termination (mgc.go, gcMark), after the
     * stacks were scanned: a cycle marks with the previous cycle's time, the first with 0, and
     * no two cycles with the same. The same non-zero waitsince at the copy and at the stop means
     * the goroutine has not run in between; a goroutine with waitsince 0 (it ran since the last
     * GC saw it blocked) is copied again. So only goroutines blocked across two collections keep
     * their copy: in a service up for more than a few minutes (a GC is forced every 2), nearly
     * every parked one. The id tells a g freed and reused for a new
     * goroutine (newproc1 draws its trackingSeq at random). The SPs, PCs, LR and bounds are what
     * the stack copy was made from.
     */
    private Field[] stateFields() {
        Field seq = optionalField("runtime.g", "trackingSeq", 0);
        if (seq == Field.NONE || waitsince == Field.NONE) {
            return new Field[0];
        }
        // waitsince first: sameState asks it to be non-zero before it compares the rest.
        List<Field> out = new java.util.ArrayList<>(List.of(waitsince, seq, status, goid, schedSp, schedPc, syscallSp, syscallPc,
                stackLo, stackHi));
        if (schedLr != Field.NONE) {
            out.add(schedLr);
        }
        if (labels != Field.NONE) {
            out.add(labels);
        }
        return out.toArray(Field[]::new);
    }

    /**
     * Whether the g at {@code b[base]} is neither running, in a syscall nor dead, and has the
     * {@link #state} values of row {@code row} of {@code values}.
     */
    private boolean sameState(ByteBuffer b, int base, long[] values, int row) {
        int st = (int) status.read(b, base) & ~Goroutine.SCAN_BIT;
        if (st == Goroutine.G_RUNNING || st == Goroutine.G_SYSCALL || (st >= 0 && st < dead.length && dead[st])) {
            return false;
        }
        int f = state.length;
        if (state[0].read(b, base) == 0) {
            return false;   // waitsince 0: the goroutine ran since a GC last saw it blocked, or no GC has yet
        }
        for (int k = 0, at = row * f; k < f; k++) {
            if (state[k].read(b, base) != values[at + k]) {
                return false;
            }
        }
        return true;
    }

    /** A member's offset and size within the g. */
    private record Field(long offset, long size) {
        static final Field NONE = new Field(-1, 0);

        /** The field of the g that starts at {@code base} in {@code b}. */
        long read(ByteBuffer b, int base) {
            if (offset < 0) {
                return 0;
            }
            int at = base + (int) offset;
            return switch ((int) size) {
                case 1 -> Byte.toUnsignedLong(b.get(at));
                case 2 -> Short.toUnsignedLong(b.getShort(at));
                case 4 -> Integer.toUnsignedLong(b.getInt(at));
                default -> b.getLong(at);
            };
        }
    }

    private StructType.Member required(String struct, String member) {
        return layout.member(struct, member).orElseThrow(() -> new IllegalArgumentException(
                "the layout has no " + struct + "." + member));
    }

    private Field field(String member, long base) {
        StructType.Member mm = required("runtime.g", member);
        return new Field(base + mm.offset(), mm.size());
    }

    private Field optionalField(String struct, String member, long base) {
        Optional<StructType.Member> mm = layout.member(struct, member);
        return mm.map(x -> new Field(base + x.offset(), x.size())).orElse(Field.NONE);
    }

    private Field sub(String struct, String member, long base) {
        StructType.Member mm = required(struct, member);
        return new Field(base + mm.offset(), mm.size());
    }

    /** Bytes of one g. */
    public int gSize() {
        return (int) g.size();
    }

    /** The allgs slice as read: where its pointer array is and how many goroutines it holds. */
    public record AllGs(long array, long length, long allglen) {}

    /** Reads allgs and allglen at their run-time addresses; says why when they make no sense. */
    public AllGs readList(MemoryReader mem, long allgsAddress, long allglenAddress) throws MemoryReader.MemoryReadException {
        ByteBuffer header = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        mem.read(allgsAddress, header);
        ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        mem.read(allglenAddress, len);
        long array = header.getLong(0);
        long length = header.getLong(8);
        long capacity = header.getLong(16);
        long allglen = len.getLong(0);
        if (length < 0 || length > MAX_GOROUTINES || capacity < length || (length > 0 && array == 0)) {
            throw new MemoryReader.MemoryReadException(String.format(
                    "runtime.allgs at 0x%x is not a goroutine list (pointer 0x%x, length %d, capacity %d)",
                    allgsAddress, array, length, capacity));
        }
        return new AllGs(array, length, allglen);
    }

    /**
     * Copies every g of {@code list} into memory from {@code buffers}, without decoding it: what a
     * stopped window needs. {@link
     * Copied#startSp} and the other accessors read single fields; {@link Copied#decode} makes the
     * records, after the target runs again.
     */
    public Copied copyAll(MemoryReader mem, AllGs list, CopyBuffers buffers) throws MemoryReader.MemoryReadException {
        return copyAll(mem, list, buffers, null);
    }

    /**
     * {@link #copyAll}, made faster by an earlier copy of the same list: when allgs still holds the
     * same g's (it only grows, so it does as long as no goroutine was added), the same merged
     * ranges are read again in the same batches, and each g is where it was in the earlier copy:
     * no sort, no merge, no search. Otherwise as {@link #copyAll(MemoryReader, AllGs, CopyBuffers)}.
     */
    public Copied copyAll(MemoryReader mem, AllGs list, CopyBuffers buffers, Copied earlier)
            throws MemoryReader.MemoryReadException {
        return copyAll(mem, list, buffers, earlier, null);
    }

    /**
     * {@link #copyAll(MemoryReader, AllGs, CopyBuffers, Copied)}, also filling {@code unchanged}
     * (one per g of the copy) as {@link Copied#unchanged} does: when the earlier copy's ranges
     * are read again, by the threads that read them, each batch as soon as it is read, while its
     * bytes are in their cache; otherwise once the copy is made.
     */
    public Copied copyAll(MemoryReader mem, AllGs list, CopyBuffers buffers, Copied earlier, boolean[] unchanged)
            throws MemoryReader.MemoryReadException {
        if (earlier != null) {
            earlier.prepareComparison();   // before this copy, which may go where the earlier one was
        }
        Copied c = copyAllComparing(mem, list, buffers, earlier, unchanged);
        if (unchanged != null && !c.compared) {
            c.unchanged(earlier, unchanged);
        }
        return c;
    }

    private Copied copyAllComparing(MemoryReader mem, AllGs list, CopyBuffers buffers, Copied earlier, boolean[] unchanged)
            throws MemoryReader.MemoryReadException {
        int n = (int) list.length();
        long[] pointers = new long[n];
        ByteBuffer b = buffers.take(Math.min(n, POINTER_CHUNK / 8) * 8);
        for (int done = 0; done < n; ) {
            int chunk = Math.min(n - done, POINTER_CHUNK / 8);
            mem.read(list.array() + done * 8L, b.clear().limit(chunk * 8));
            b.asLongBuffer().get(pointers, done, chunk);
            done += chunk;
        }
        int live = 0;
        for (long p : pointers) {
            if (p != 0) {
                pointers[live++] = p;
            }
        }
        long[] addrs = java.util.Arrays.copyOf(pointers, live);
        int size = (int) g.size();
        if (earlier != null && earlier.copies != null && java.util.Arrays.equals(addrs, earlier.addresses)) {
            earlier.prepareComparison();
            ByteBuffer[] in = new ByteBuffer[live];
            int[] at = earlier.at;   // the same ranges at the same offsets of the same-numbered batches
            boolean compare = unchanged != null && state.length > 0;
            CapturedMemory again = earlier.copies.copyAgain(mem, buffers, (batch, buffer) -> {
                for (int k = earlier.batchStart[batch]; k < earlier.batchStart[batch + 1]; k++) {
                    int i = earlier.byBatch[k];
                    in[i] = buffer;
                    if (compare) {
                        unchanged[i] = sameState(buffer, at[i], earlier.stateValues, i);
                    }
                }
            });
            if (again != null) {
                Copied c = new Copied(addrs, in, at, again, earlier.range);
                c.compared = compare;
                return c;
            }
        }
        int[] lengths = new int[live];
        java.util.Arrays.fill(lengths, size);
        CapturedMemory copies = CapturedMemory.copy(mem, addrs, lengths, buffers);
        ByteBuffer[] in = new ByteBuffer[live];
        int[] at = new int[live];
        int[] range = new int[live];
        for (int i = 0; i < live; i++) {
            int r = copies.find(addrs[i], size);
            if (r < 0) {
                throw new MemoryReader.MemoryReadException(String.format(
                        "goroutine at 0x%x (from runtime.allgs) is unreadable", addrs[i]));
            }
            range[i] = r;
            in[i] = copies.rangeBuffer(r);
            at[i] = copies.rangeOffset(r, addrs[i]);
        }
        return new Copied(addrs, in, at, copies, range);
    }

    /** The g structs as copied, in allgs order; fields are read in place: g i at {@code in[i]}, offset {@code at[i]}. */
    public final class Copied {
        private final long[] addresses;
        private final ByteBuffer[] in;
        private final int[] at;
        /** The copy the g's are in, and the range of it each is in: for {@link #copyAll}'s second copy. */
        private final CapturedMemory copies;
        private final int[] range;
        /** Set by {@link #prepareComparison}: the g's batch by batch (batch b's are byBatch[batchStart[b]..batchStart[b+1])). */
        private int[] batchStart;
        private int[] byBatch;
        /** Whether {@link #copyAll} compared this copy with the earlier one as it read it. */
        private boolean compared;

        Copied(long[] addresses, ByteBuffer[] in, int[] at, CapturedMemory copies, int[] range) {
            this.addresses = addresses;
            this.in = in;
            this.at = at;
            this.copies = copies;
            this.range = range;
        }

        public int size() {
            return addresses.length;
        }

        /** The {@link #state} fields of every g, g after g: what a later copy is compared with, read once. */
        private long[] stateValues;

        /**
         * Reads the fields {@link #unchanged} compares a later copy against, once: call it before
         * the stop, so that the comparison inside it reads only the new copy, and before the
         * memory of this copy is reused for another (then only those fields, the addresses and
         * where each g was remain to be used).
         */
        public void prepareComparison() {
            if (stateValues != null) {
                return;
            }
            int f = state.length;
            long[] v = new long[addresses.length * f];
            for (int i = 0; i < addresses.length; i++) {
                for (int k = 0; k < f; k++) {
                    v[i * f + k] = state[k].read(in[i], at[i]);
                }
            }
            if (copies != null) {
                // The g's by the batch they are read in, for a copy made again batch by batch.
                int batches = copies.batches();
                int[] start = new int[batches + 1];
                for (int i = 0; i < addresses.length; i++) {
                    start[copies.batchOf(range[i]) + 1]++;
                }
                for (int b = 0; b < batches; b++) {
                    start[b + 1] += start[b];
                }
                int[] next = java.util.Arrays.copyOf(start, batches);
                int[] order = new int[addresses.length];
                for (int i = 0; i < addresses.length; i++) {
                    order[next[copies.batchOf(range[i])]++] = i;
                }
                batchStart = start;
                byBatch = order;
            }
            stateValues = v;
        }

        /**
         * For every goroutine i, whether it is neither dead, running nor in a syscall, and is the
         * same g as goroutine i of {@code earlier} and cannot have run since that copy: the same
         * trackingSeq (which every departure from _Grunning increments), status, id, saved SP, PC
         * and LR, syscall pair, stack bounds and labels. Such a goroutine has the same frames as
         * then: a parked goroutine's stack changes only when it runs or when its stack moves
         * (which changes the bounds and the saved SP). All false when the layout has no
         * trackingSeq. One loop, so that one compiled method runs it (warm it before a stop).
         */
        public void unchanged(Copied earlier, boolean[] out) {
            int f = state.length;
            if (f == 0) {
                java.util.Arrays.fill(out, false);
                return;
            }
            earlier.prepareComparison();
            long[] v = earlier.stateValues;
            long[] was = earlier.addresses;
            for (int i = 0; i < addresses.length; i++) {
                out[i] = i < was.length && was[i] == addresses[i] && sameState(in[i], at[i], v, i);
            }
        }

        /** Bytes of target memory this copy holds (the g's and what lies between them in merged ranges). */
        public long copiedBytes() {
            return copies == null ? 0 : copies.bytes();
        }

        public long address(int i) {
            return addresses[i];
        }

        private long read(int i, Field f) {
            return f.read(in[i], at[i]);
        }

        public int baseStatus(int i) {
            return (int) read(i, status) & ~Goroutine.SCAN_BIT;
        }

        /**
         * Whether goroutine i is not a goroutine Go lists: _Gdead (freed, kept for reuse) or, from
         * Go 1.26, _Gdeadextra (the g of an extra M waiting for a cgo callback); tracebackothers
         * and the goroutine profile skip both (runtime/traceback.go, runtime/mprof.go).
         */
        public boolean dead(int i) {
            int st = baseStatus(i);
            return st >= 0 && st < dead.length && dead[st];
        }

        /**
         * Whether a stack copied now for goroutine i could stand at a later comparison ({@link
         * #unchanged}): it is neither running, in a syscall nor dead, and a GC has stamped its
         * waitsince. Any other is copied again at the stop whatever happens until then.
         */
        public boolean keepable(int i) {
            if (state.length == 0 || dead(i)) {
                return false;
            }
            int st = baseStatus(i);
            return st != Goroutine.G_RUNNING && st != Goroutine.G_SYSCALL && read(i, state[0]) != 0;
        }

        /** The m running goroutine i (0 for none). */
        public long m(int i) {
            return read(i, m);
        }

        /** Where goroutine i's stack starts: the syscall pair when in a syscall, else sched. */
        public long startPc(int i) {
            return read(i, syscallSp) != 0 ? read(i, syscallPc) : read(i, schedPc);
        }

        public long startSp(int i) {
            long ssp = read(i, syscallSp);
            return ssp != 0 ? ssp : read(i, schedSp);
        }

        /**
         * Goroutine i's saved link register, for a link-register CPU's innermost frame: g.sched.lr
         * when its stack starts at sched, 0 when it starts at the syscall pair (initAt's
         * {@code if usesLR { lr0 = 0 }} for a goroutine in a syscall). Always 0 on amd64.
         */
        public long startLr(int i) {
            return read(i, syscallSp) != 0 ? 0 : read(i, schedLr);
        }

        public long stackLo(int i) {
            return read(i, stackLo);
        }

        public long stackHi(int i) {
            return read(i, stackHi);
        }

        /** Where goroutine i's pprof labels are, 0 for none. */
        public long labels(int i) {
            return read(i, labels);
        }

        /** Goroutine i as a record (after the target runs again: it allocates). */
        public Goroutine decode(int i) {
            return GoroutineReader.this.decode(addresses[i], in[i], at[i]);
        }
    }

    private Goroutine decode(long address, ByteBuffer b, int base) {
        int st = (int) status.read(b, base);
        int baseStatus = st & ~Goroutine.SCAN_BIT;
        String reason = "";
        long wr = waitreason.read(b, base);
        if (wr != 0 && baseStatus >= 0 && baseStatus < waiting.length && waiting[baseStatus]) {
            reason = wr < reasons.length && reasons[(int) wr] != null ? reasons[(int) wr] : "waitReason " + wr;
        }
        String statusText = baseStatus >= 0 && baseStatus < statuses.length && statuses[baseStatus] != null
                ? statuses[baseStatus] : "???";
        return new Goroutine(address, goid.read(b, base), st, statusText, reason, waitsince.read(b, base),
                gopc.read(b, base), startpc.read(b, base), parentGoid.read(b, base), lockedm.read(b, base), m.read(b, base),
                schedPc.read(b, base), schedSp.read(b, base), schedLr.read(b, base), syscallPc.read(b, base),
                syscallSp.read(b, base), stackLo.read(b, base), stackHi.read(b, base), labels.read(b, base));
    }

    /** Status value to the word Go prints, and whether Go prints the wait reason instead (waiting, leaked). */
    private static String[] statusWords(RuntimeLayout layout) {
        int max = layout.gStatus().keySet().stream().mapToInt(Integer::intValue).max().orElse(-1);
        String[] out = new String[max + 1];
        layout.gStatus().forEach((v, n) -> out[v] = layout.statusText(v));
        return out;
    }

    /** Which status values are the constants named (e.g. "_Gwaiting", "_Gleaked": Go prints their wait reason). */
    private static boolean[] statuses(RuntimeLayout layout, String... constants) {
        int max = layout.gStatus().keySet().stream().mapToInt(Integer::intValue).max().orElse(-1);
        boolean[] out = new boolean[max + 1];
        List<String> names = List.of(constants);
        layout.gStatus().forEach((v, n) -> out[v] = names.contains(n.constant()));
        return out;
    }

    private static String[] reasonWords(RuntimeLayout layout) {
        int max = layout.waitReasons().keySet().stream().mapToInt(Integer::intValue).max().orElse(-1);
        String[] out = new String[max + 1];
        layout.waitReasons().forEach((v, n) -> out[v] = n.text());
        return out;
    }
}
