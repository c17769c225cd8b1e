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
            schedPc, schedSp, schedLr, syscallPc, syscallSp, stackLo, stackHi, labels, trackingSeq, waitingSudog;
    /**
     * The fields a copy keeps of each g, in this order, one row of longs per g ({@link Copied}):
     * what {@link Copied#decode} and the accessors read, and what {@link Copied#unchanged}
     * compares. The g's bytes themselves are not kept.
     */
    private final Field[] row;
    private static final int GOID = 0, STATUS = 1, WAITREASON = 2, WAITSINCE = 3, GOPC = 4, STARTPC = 5, PARENT = 6,
            LOCKEDM = 7, M = 8, SCHED_PC = 9, SCHED_SP = 10, SCHED_LR = 11, SYSCALL_PC = 12, SYSCALL_SP = 13,
            STACK_LO = 14, STACK_HI = 15, LABELS = 16, TRACKING_SEQ = 17, WAITING = 18, ROW = 19;
    /**
     * What tells whether a goroutine may have run between two copies of its g ({@link
     * Copied#unchanged}), as indexes into {@link #row}: waitsince, trackingSeq, status, id, the
     * saved SP, PC and LR, the syscall pair, the stack bounds and the labels; empty when the
     * layout has no trackingSeq or waitsince (then no goroutine counts as unchanged). waitsince
     * first.
     */
    private final int[] state;
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
        trackingSeq = optionalField("runtime.g", "trackingSeq", 0);
        // g.waiting: the sudogs of the channel operation or select the goroutine is parked in (WaitReader)
        waitingSudog = optionalField("runtime.g", "waiting", 0);
        row = new Field[] {goid, status, waitreason, waitsince, gopc, startpc, parentGoid, lockedm, m, schedPc, schedSp,
                schedLr, syscallPc, syscallSp, stackLo, stackHi, labels, trackingSeq, waitingSudog};
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
    private int[] stateFields() {
        if (trackingSeq == Field.NONE || waitsince == Field.NONE) {
            return new int[0];
        }
        // waitsince first: sameState asks it to be non-zero before it compares the rest. A field
        // the layout lacks (LR on amd64, labels before Go 1.9) reads 0 in both.
        return new int[] {WAITSINCE, TRACKING_SEQ, STATUS, GOID, SCHED_SP, SCHED_PC, SYSCALL_SP, SYSCALL_PC, STACK_LO,
            STACK_HI, SCHED_LR, LABELS};
    }

    /**
     * Whether the g at {@code b[base]} is neither running, in a syscall nor dead, and has the
     * {@link #state} values of row {@code i} of {@code rows}.
     */
    private boolean sameState(ByteBuffer b, int base, long[] rows, int i) {
        if (!couldStand((int) status.read(b, base), waitsince.read(b, base))) {
            return false;
        }
        for (int k : state) {
            if (row[k].read(b, base) != rows[i * ROW + k]) {
                return false;
            }
        }
        return true;
    }

    /** The same as {@link #sameState}, between row {@code i} of {@code rows} and row {@code j} of {@code was}. */
    private boolean sameState(long[] rows, int i, long[] was, int j) {
        if (!couldStand((int) rows[i * ROW + STATUS], rows[i * ROW + WAITSINCE])) {
            return false;
        }
        for (int k : state) {
            if (rows[i * ROW + k] != was[j * ROW + k]) {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether a g with this status and waitsince can have kept its stack since an earlier copy:
     * neither running, in a syscall nor dead, and stamped by a GC (waitsince 0: the goroutine ran
     * since a GC last saw it blocked, or no GC has yet).
     */
    private boolean couldStand(int rawStatus, long waitSince) {
        int st = rawStatus & ~Goroutine.SCAN_BIT;
        return st != Goroutine.G_RUNNING && st != Goroutine.G_SYSCALL && !(st >= 0 && st < dead.length && dead[st])
                && waitSince != 0;
    }

    /** Reads the {@link #row} fields of the g at {@code b[base]} into row {@code i} of {@code rows}. */
    private void extract(ByteBuffer b, int base, long[] rows, int i) {
        for (int k = 0, at = i * ROW; k < ROW; k++) {
            rows[at + k] = row[k].read(b, base);
        }
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
     * Copies every g of {@code list} through memory from {@code buffers} (a {@linkplain
     * CopyBuffers#rolling rolling} pool gets each batch back once its fields are taken out),
     * keeping of each g the fields a snapshot reads, without decoding them: what a stopped window
     * needs. {@link Copied#startSp} and the other accessors read single fields; {@link
     * Copied#decode} makes the records, after the target runs again.
     */
    public Copied copyAll(MemoryReader mem, AllGs list, CopyBuffers buffers) throws MemoryReader.MemoryReadException {
        return copyAll(mem, list, buffers, null);
    }

    /**
     * {@link #copyAll}, made faster by an earlier copy of the same list: when allgs still holds the
     * same g's (it only grows, so it does as long as no goroutine was added), the same merged
     * ranges are read again in the same batches, and each g is where it was in the earlier copy:
     * no sort, no merge, no search; the copy takes the earlier one's fields over, and reads again
     * those of the g's that changed. Otherwise as {@link #copyAll(MemoryReader, AllGs, CopyBuffers)}.
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
        buffers.release(b);
        int live = 0;
        for (long p : pointers) {
            if (p != 0) {
                pointers[live++] = p;
            }
        }
        long[] addrs = java.util.Arrays.copyOf(pointers, live);
        int size = (int) g.size();
        if (earlier != null && earlier.copies != null && !earlier.spoiled
                && java.util.Arrays.equals(addrs, earlier.addresses)) {
            earlier.prepareComparison();
            // The same ranges at the same offsets of the same-numbered batches; each g's row is
            // compared and, when it changed, read again, in place: the rows are the earlier copy's.
            long[] rows = earlier.rows;
            int[] at = earlier.at;
            boolean compare = unchanged != null && state.length > 0;
            earlier.spoiled = true;   // its rows become this copy's
            CapturedMemory again = earlier.copies.copyAgain(mem, buffers, (batch, buffer) -> {
                for (int k = earlier.batchStart[batch]; k < earlier.batchStart[batch + 1]; k++) {
                    int i = earlier.byBatch[k];
                    if (compare && sameState(buffer, at[i], rows, i)) {
                        unchanged[i] = true;   // and its row stands: a g that has not run has the same fields
                    } else {
                        if (compare) {
                            unchanged[i] = false;
                        }
                        extract(buffer, at[i], rows, i);
                    }
                }
            });
            if (again != null) {
                Copied c = new Copied(addrs, rows, at, again, earlier.range);
                c.compared = compare;
                return c;
            }
        }
        int[] lengths = new int[live];
        java.util.Arrays.fill(lengths, size);
        long[] rows = new long[live * ROW];
        boolean[] read = new boolean[live];
        CapturedMemory copies = CapturedMemory.copy(mem, addrs, lengths, buffers, (i, buffer, offset) -> {
            extract(buffer, offset, rows, i);
            read[i] = true;
        });
        int[] at = new int[live];
        int[] range = new int[live];
        for (int i = 0; i < live; i++) {
            int r = copies.find(addrs[i], size);
            if (r < 0) {
                throw new MemoryReader.MemoryReadException(String.format(
                        "goroutine at 0x%x (from runtime.allgs) is unreadable", addrs[i]));
            }
            range[i] = r;
            at[i] = copies.rangeOffset(r, addrs[i]);
            if (!read[i]) {
                extract(copies.rangeBuffer(r), at[i], rows, i);   // its batch was not read whole: it is in a range read alone
            }
        }
        return new Copied(addrs, rows, at, copies, range);
    }

    /**
     * The g's as copied, in allgs order: of each, its address and the {@link #row} fields (a row
     * of longs), read out of the copy batch by batch; the g's bytes are not kept (1,000,000 g's
     * are 470 MB of target memory; their rows 144 MB).
     */
    public final class Copied {
        private final long[] addresses;
        private final long[] rows;
        /** Where each g was in its batch, and which range of the copy it was in: for {@link #copyAll}'s next copy. */
        private final int[] at;
        private final CapturedMemory copies;
        private final int[] range;
        /** Set by {@link #prepareComparison}: the g's batch by batch (batch b's are byBatch[batchStart[b]..batchStart[b+1])). */
        private int[] batchStart;
        private int[] byBatch;
        /** Whether {@link #copyAll} compared this copy with the earlier one as it read it. */
        private boolean compared;
        /**
         * Whether a later copy took this one's rows for its own (read again in place): then this
         * copy is no longer the g's as they were, and no copy may be compared with it.
         */
        private boolean spoiled;

        Copied(long[] addresses, long[] rows, int[] at, CapturedMemory copies, int[] range) {
            this.addresses = addresses;
            this.rows = rows;
            this.at = at;
            this.copies = copies;
            this.range = range;
        }

        public int size() {
            return addresses.length;
        }

        /**
         * Groups the g's by the batch they were read in, once: call it before the stop, so that a
         * copy made again batch by batch ({@link #copyAll} with this one as the earlier copy)
         * finds, inside it, which g's each batch holds without a search.
         */
        public void prepareComparison() {
            if (batchStart != null || copies == null) {
                return;
            }
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

        /**
         * For every goroutine i, whether it is neither dead, running nor in a syscall, and is the
         * same g as goroutine i of {@code earlier} and cannot have run since that copy: the same
         * non-zero waitsince, trackingSeq, status, id, saved SP, PC and LR, syscall pair, stack
         * bounds and labels. Such a goroutine has the same frames as then: a parked goroutine's
         * stack changes only when it runs or when its stack moves (which changes the bounds and
         * the saved SP). All false when the layout has no trackingSeq or waitsince, or when
         * {@code earlier}'s rows were taken by another copy.
         */
        public void unchanged(Copied earlier, boolean[] out) {
            if (state.length == 0 || earlier.spoiled) {
                java.util.Arrays.fill(out, false);
                return;
            }
            long[] was = earlier.addresses;
            for (int i = 0; i < addresses.length; i++) {
                out[i] = i < was.length && was[i] == addresses[i] && sameState(rows, i, earlier.rows, i);
            }
        }

        /** Bytes of target memory this copy read (the g's and what lies between them in merged ranges). */
        public long copiedBytes() {
            return copies == null ? 0 : copies.bytes();
        }

        public long address(int i) {
            return addresses[i];
        }

        private long read(int i, int field) {
            return rows[i * ROW + field];
        }

        public int baseStatus(int i) {
            return (int) read(i, STATUS) & ~Goroutine.SCAN_BIT;
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
            return state.length > 0 && couldStand((int) read(i, STATUS), read(i, WAITSINCE));
        }

        /** The m running goroutine i (0 for none). */
        public long m(int i) {
            return read(i, M);
        }

        /** Where goroutine i's stack starts: the syscall pair when in a syscall, else sched. */
        public long startPc(int i) {
            return read(i, SYSCALL_SP) != 0 ? read(i, SYSCALL_PC) : read(i, SCHED_PC);
        }

        public long startSp(int i) {
            long ssp = read(i, SYSCALL_SP);
            return ssp != 0 ? ssp : read(i, SCHED_SP);
        }

        /**
         * Goroutine i's saved link register, for a link-register CPU's innermost frame: g.sched.lr
         * when its stack starts at sched, 0 when it starts at the syscall pair (initAt's
         * {@code if usesLR { lr0 = 0 }} for a goroutine in a syscall). Always 0 on amd64.
         */
        public long startLr(int i) {
            return read(i, SYSCALL_SP) != 0 ? 0 : read(i, SCHED_LR);
        }

        public long stackLo(int i) {
            return read(i, STACK_LO);
        }

        public long stackHi(int i) {
            return read(i, STACK_HI);
        }

        /** Goroutine i's g.waiting: its first sudog of a channel operation or select, 0 for none. */
        public long waiting(int i) {
            return read(i, WAITING);
        }

        /** Goroutine i's raw wait reason value (g.waitreason), whatever its status. */
        public int waitReasonValue(int i) {
            return (int) read(i, WAITREASON);
        }

        /** Where goroutine i's pprof labels are, 0 for none. */
        public long labels(int i) {
            return read(i, LABELS);
        }

        /** Goroutine i as a record (after the target runs again: it allocates). */
        public Goroutine decode(int i) {
            int st = (int) read(i, STATUS);
            int baseStatus = st & ~Goroutine.SCAN_BIT;
            String reason = "";
            long wr = read(i, WAITREASON);
            if (wr != 0 && baseStatus >= 0 && baseStatus < waiting.length && waiting[baseStatus]) {
                reason = wr < reasons.length && reasons[(int) wr] != null ? reasons[(int) wr] : "waitReason " + wr;
            }
            String statusText = baseStatus >= 0 && baseStatus < statuses.length && statuses[baseStatus] != null
                    ? statuses[baseStatus] : "???";
            return new Goroutine(addresses[i], read(i, GOID), st, statusText, reason, read(i, WAITSINCE), read(i, GOPC),
                    read(i, STARTPC), read(i, PARENT), read(i, LOCKEDM), read(i, M), read(i, SCHED_PC), read(i, SCHED_SP),
                    read(i, SCHED_LR), read(i, SYSCALL_PC), read(i, SYSCALL_SP), read(i, STACK_LO), read(i, STACK_HI),
                    read(i, LABELS));
        }
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
