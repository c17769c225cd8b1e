package dev.attachproof.golang;

import dev.attachproof.dwarf.StructType;
import dev.attachproof.memory.CapturedMemory;
import dev.attachproof.memory.CopyBuffers;
import dev.attachproof.memory.MemoryReader;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Reads, while the target is stopped, what its blocked goroutines wait on, from the runtime's own
 * records, through the layout of its Go release:
 * <ul>
 * <li>a goroutine parked in a channel operation or a select has its sudogs in {@code g.waiting},
 *     linked by {@code waitlink}, each naming its channel in {@code sudog.c} (runtime/chan.go
 *     chansend/chanrecv, runtime/select.go selectgo): one batched read of every first sudog, a
 *     round per further select case, then one batched read of the channels;</li>
 * <li>a goroutine blocked on a semaphore (sync.Mutex, RWMutex, WaitGroup all park there) sits in
 *     {@code runtime.semtable}: 251 roots, each a treap of sudogs keyed by the semaphore's address
 *     ({@code sudog.elem}), the waiters on one address chained by {@code waitlink}
 *     (runtime/sema.go, semaRoot.queue). The table is read in one read, the treaps a level per
 *     round.</li>
 * </ul>
 * Every walk is bounded by a count and remembers what it visited, so that memory changing under a
 * read (or a cycle) ends it, never loops. What kind of sync value a semaphore belongs to is decided
 * after the target runs again, from the goroutine's stack ({@link WaitObjects}).
 */
public final class WaitReader {
    /** runtime/sema.go: {@code const semTabSize = 251}, unchanged since Go 1.9. */
    static final int SEM_TAB_SIZE = 251;
    /** selectgo takes at most 65,536 cases (runtime/select.go: the order arrays are uint16-indexed). */
    static final int MAX_SELECT_CASES = 1 << 16;
    /** Rounds of semaphore sudogs read one after the other: a queue of more waiters on one address is cut there. */
    static final int MAX_SEMA_ROUNDS = 2_048;
    /** Sudogs of the semaphore table read in all. */
    static final int MAX_SEMA_SUDOGS = 1_000_000;
    /** Sudogs followed along one channel's queue to tell a select case's direction. */
    static final int MAX_QUEUE_WALK = 100_000;

    private final Ptr sG, sNext, sPrev, sElem, sWaitlink, sC;
    private final long sIsSelect;
    private final int sudogSize;
    private final long hQcount, hDataqsiz, hClosed, hRecvqFirst, hSendqFirst;
    private final Ptr hElemtype;
    private final int hchanSize;
    private final long semtable;
    private final int semEntry;
    private final long treap;
    private final Set<Integer> receiveReasons;
    private final Set<Integer> sendReasons;

    /** A pointer field: where it is, and whether it is a maybeTraceablePtr (two words, the second the address). */
    private record Ptr(long offset, boolean twoWords) {
        long read(ByteBuffer b, int base) {
            // Go 1.26's maybeTraceablePtr/maybeTraceableChan: {vp unsafe.Pointer; vu uintptr},
            // "vu: source of truth" (runtime/runtime2.go); vp is nil while untraceable.
            return b.getLong(base + (int) offset + (twoWords ? 8 : 0));
        }
    }

    private WaitReader(RuntimeLayout layout, long semtable, int semEntry) {
        sG = ptr(layout, "runtime.sudog", "g");
        sNext = ptr(layout, "runtime.sudog", "next");
        sPrev = ptr(layout, "runtime.sudog", "prev");
        sElem = ptr(layout, "runtime.sudog", "elem");
        sWaitlink = ptr(layout, "runtime.sudog", "waitlink");
        sC = ptr(layout, "runtime.sudog", "c");
        sIsSelect = offset(layout, "runtime.sudog", "isSelect");
        sudogSize = (int) layout.structs().get("runtime.sudog").size();
        hQcount = offset(layout, "runtime.hchan", "qcount");
        hDataqsiz = offset(layout, "runtime.hchan", "dataqsiz");
        hClosed = offset(layout, "runtime.hchan", "closed");
        hElemtype = ptr(layout, "runtime.hchan", "elemtype");
        long first = offset(layout, "runtime.waitq", "first");
        hRecvqFirst = offset(layout, "runtime.hchan", "recvq") + first;
        hSendqFirst = offset(layout, "runtime.hchan", "sendq") + first;
        hchanSize = (int) layout.structs().get("runtime.hchan").size();
        this.semtable = semtable;
        this.semEntry = semEntry;
        this.treap = semtable == 0 ? 0 : offset(layout, "runtime.semaRoot", "treap");
        receiveReasons = reasons(layout, "waitReasonChanReceive", "waitReasonSynctestChanReceive");
        sendReasons = reasons(layout, "waitReasonChanSend", "waitReasonSynctestChanSend");
    }

    /**
     * A reader for this layout, when it has the sudog and channel structs; {@code semtable} is the
     * run-time address of runtime.semtable and {@code semtableBytes} its size (0 when unknown:
     * then semaphores are not read).
     */
    public static Optional<WaitReader> of(RuntimeLayout layout, long semtable, long semtableBytes) {
        try {
            boolean table = semtable != 0 && semtableBytes > 0 && semtableBytes % SEM_TAB_SIZE == 0
                    && layout.structs().containsKey("runtime.semaRoot");
            return Optional.of(new WaitReader(layout, table ? semtable : 0, table ? (int) (semtableBytes / SEM_TAB_SIZE) : 0));
        } catch (IllegalArgumentException | NullPointerException e) {
            return Optional.empty();   // a release whose table lacks these structs
        }
    }

    /** Whether semaphores (the sync types) are read: runtime.semtable was found. */
    public boolean readsSemaphores() {
        return semtable != 0;
    }

    private static long offset(RuntimeLayout layout, String struct, String member) {
        return layout.member(struct, member).orElseThrow(() -> new IllegalArgumentException(struct + "." + member)).offset();
    }

    private static Ptr ptr(RuntimeLayout layout, String struct, String member) {
        StructType.Member m = layout.member(struct, member).orElseThrow(() -> new IllegalArgumentException(struct + "." + member));
        return new Ptr(m.offset(), m.size() == 16);
    }

    private static Set<Integer> reasons(RuntimeLayout layout, String... constants) {
        Set<Integer> out = new HashSet<>();
        List<String> names = List.of(constants);
        layout.waitReasons().forEach((v, n) -> {
            if (names.contains(n.constant())) {
                out.add(v);
            }
        });
        return out;
    }

    /**
     * Reads what the goroutines of {@code gs} wait on; stops reading semaphores past {@code
     * deadline} (a {@link System#nanoTime()}, or {@link CapturedMemory#NO_DEADLINE}).
     */
    public Waits read(MemoryReader mem, GoroutineReader.Copied gs, long deadline) {
        Waits out = new Waits();
        readChannels(mem, gs, out);
        if (semtable != 0) {
            readSemaphores(mem, out, deadline);
        }
        return out;
    }

    private void readChannels(MemoryReader mem, GoroutineReader.Copied gs, Waits out) {
        int n = gs.size();
        // The chains still being followed: the goroutine, and the next sudog to read.
        long[] owner = new long[n];
        long[] next = new long[n];
        int[] reason = new int[n];
        int live = 0;
        for (int i = 0; i < n; i++) {
            if (gs.waiting(i) != 0 && gs.baseStatus(i) == Goroutine.G_WAITING) {
                owner[live] = gs.address(i);
                next[live] = gs.waiting(i);
                reason[live] = gs.waitReasonValue(i);
                live++;
            }
        }
        Map<Long, Set<Long>> seen = new HashMap<>();
        List<long[]> selectCases = new ArrayList<>();   // {g, sudog, hchan}
        for (int round = 0; live > 0 && round < MAX_SELECT_CASES; round++) {
            CapturedMemory copy = batch(mem, java.util.Arrays.copyOf(next, live), sudogSize);
            int kept = 0;
            for (int k = 0; k < live; k++) {
                int r = copy.find(next[k], sudogSize);
                Set<Long> mine = seen.get(owner[k]);   // no lambdas here: a bootstrap inside the stop costs milliseconds
                if (mine == null) {
                    mine = new HashSet<>();
                    seen.put(owner[k], mine);
                }
                if (r < 0 || !mine.add(next[k])) {
                    continue;   // unreadable, or a sudog seen before: the chain ends
                }
                ByteBuffer b = copy.rangeBuffer(r);
                int at = copy.rangeOffset(r, next[k]);
                long c = sC.read(b, at);
                if (sG.read(b, at) != owner[k] || c == 0) {
                    continue;   // not this goroutine's: the list changed, or it is not a channel's
                }
                boolean select = b.get(at + (int) sIsSelect) != 0;
                if (select) {
                    selectCases.add(new long[] {owner[k], next[k], c});
                } else {
                    String op = receiveReasons.contains(reason[k]) ? "receive" : sendReasons.contains(reason[k]) ? "send" : null;
                    out.addChan(owner[k], new Waits.ChanWait(c, op, false));
                }
                long link = sWaitlink.read(b, at);
                if (select && link != 0) {
                    owner[kept] = owner[k];
                    reason[kept] = reason[k];
                    next[kept++] = link;
                }
            }
            live = kept;
        }
        // A select's cases: receive or send says the queue its sudog is in.
        Map<Long, Map<Long, String>> queues = new HashMap<>();
        for (long[] sc : selectCases) {
            Map<Long, String> q = queues.get(sc[2]);
            if (q == null) {
                q = queueMembers(mem, sc[2]);
                queues.put(sc[2], q);
            }
            out.addChan(sc[0], new Waits.ChanWait(sc[2], q.get(sc[1]), true));
        }
        long[] chans = out.chanAddresses();
        CapturedMemory copy = batch(mem, chans, hchanSize);
        for (long c : chans) {
            int r = copy.find(c, hchanSize);
            if (r < 0) {
                continue;
            }
            ByteBuffer b = copy.rangeBuffer(r);
            int at = copy.rangeOffset(r, c);
            out.putChan(new Waits.Chan(c, b.getLong(at + (int) hQcount), b.getLong(at + (int) hDataqsiz),
                    b.getInt(at + (int) hClosed) != 0, hElemtype.read(b, at)));
        }
    }

    /** The sudogs in channel {@code c}'s receive and send queues, walked from their first (bounded, cycle-safe). */
    private Map<Long, String> queueMembers(MemoryReader mem, long c) {
        Map<Long, String> out = new HashMap<>();
        ByteBuffer b = ByteBuffer.allocate(Math.max(sudogSize, 8)).order(ByteOrder.LITTLE_ENDIAN);
        for (int q = 0; q < 2; q++) {
            String op = q == 0 ? "receive" : "send";
            try {
                long s = mem.word(c + (q == 0 ? hRecvqFirst : hSendqFirst));
                for (int k = 0; s != 0 && k < MAX_QUEUE_WALK && !out.containsKey(s); k++) {
                    out.put(s, op);
                    mem.read(s, b.clear().limit(sudogSize));
                    s = sNext.read(b, 0);
                }
            } catch (MemoryReader.MemoryReadException e) {
                // the queue ends where it cannot be read
            }
        }
        return out;
    }

    private void readSemaphores(MemoryReader mem, Waits out, long deadline) {
        ByteBuffer table = ByteBuffer.allocate(SEM_TAB_SIZE * semEntry).order(ByteOrder.LITTLE_ENDIAN);
        try {
            mem.read(semtable, table);
        } catch (MemoryReader.MemoryReadException e) {
            out.note("runtime.semtable at 0x" + Long.toHexString(semtable) + " is unreadable: " + e.getMessage());
            return;
        }
        long[] level = new long[SEM_TAB_SIZE];
        int live = 0;
        for (int i = 0; i < SEM_TAB_SIZE; i++) {
            long root = table.getLong(i * semEntry + (int) treap);
            if (root != 0) {
                level[live++] = root;
            }
        }
        Set<Long> seen = new HashSet<>();
        int rounds = 0;
        while (live > 0) {
            if (rounds++ >= MAX_SEMA_ROUNDS || seen.size() >= MAX_SEMA_SUDOGS || CapturedMemory.past(deadline)) {
                out.note(String.format("the semaphore table's queues were followed %d sudogs deep (%d sudogs): "
                        + "goroutines further back in a queue name no object", rounds - 1, seen.size()));
                return;
            }
            long[] these = java.util.Arrays.copyOf(level, live);
            MemoryReader copy = live < 4 ? mem : batch(mem, these, sudogSize);
            ByteBuffer b = ByteBuffer.allocate(sudogSize).order(ByteOrder.LITTLE_ENDIAN);
            int kept = 0;
            long[] nextLevel = new long[Math.max(8, live * 3)];
            for (long s : these) {
                if (!seen.add(s)) {
                    continue;
                }
                try {
                    copy.read(s, b.clear());
                } catch (MemoryReader.MemoryReadException e) {
                    continue;
                }
                long g = sG.read(b, 0);
                long elem = sElem.read(b, 0);
                if (g != 0 && elem != 0) {
                    out.putSemaphore(g, elem);
                }
                // treap children (prev, next) and the other waiters on the same address (waitlink)
                for (long child : new long[] {sPrev.read(b, 0), sNext.read(b, 0), sWaitlink.read(b, 0)}) {
                    if (child != 0 && !seen.contains(child)) {
                        nextLevel[kept++] = child;
                    }
                }
            }
            level = nextLevel;
            live = kept;
        }
    }

    /** {@code addresses}, {@code length} bytes each, read in batches; unreadable ones are left out of the copy. */
    private static CapturedMemory batch(MemoryReader mem, long[] addresses, int length) {
        if (addresses.length == 0) {
            addresses = new long[] {0};   // an empty copy: address 0 is never readable
        }
        int[] lengths = new int[addresses.length];
        java.util.Arrays.fill(lengths, length);
        return CapturedMemory.copy(mem, addresses, lengths, new CopyBuffers());
    }
}
