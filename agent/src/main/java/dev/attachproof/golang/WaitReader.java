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
 * <li>a goroutine blocked on a semaphore (sync.Mutex, RWMutex, WaitGroup all park there) holds
 *     its sudog ({@code elem}: the semaphore's address) in its own stack, which was copied
 *     already: the candidates are read in batches and each checked against the runtime's record
 *     ({@link #fromStacks}). The waiters that leaves unexplained are looked for in
 *     {@code runtime.semtable}: 251 roots, each a treap of sudogs keyed by the semaphore's
 *     address, the waiters on one address chained by {@code waitlink} (runtime/sema.go,
 *     semaRoot.queue). The table is read in one read, the treaps a level per round, at most
 *     {@value #MAX_SEMA_ROUNDS} rounds.</li>
 * <li>a goroutine parked in sync.(*Cond).Wait holds its sudog in its stack too, and the Cond's
 *     address: a word of the copied frames is the Cond whose notifyList chains that sudog
 *     ({@link #readConds}).</li>
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
    /**
     * Sudogs followed along one channel's queue to tell a select case's direction (walked through
     * the sudogs read already, read from the target only past them). At 100,000, the bench
     * target's 1,000,004 goroutines (666,669 of them queued on one channel, 333,335 in a select
     * on it) left most select cases without a direction before the stop, so that they were read
     * again while stopped: a JSON stop of 2.1 to 2.6 s; at 1,000,000, every wait is kept from the
     * read before the stop and the stop takes 121 to 126 ms.
     */
    static final int MAX_QUEUE_WALK = 1_000_000;

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
    /**
     * The memory every batch is read into, one batch at a time: the read made before the stop
     * allocates and touches it, so that the stopped read faults no page in (a new direct buffer
     * costs about 0.5 ms per MB). Freed by {@link #release} once the snapshot has read, not left
     * to the collector: snapshots taken one after the other exhausted the JVM's direct memory
     * before it ran.
     */
    private CopyBuffers pool = CopyBuffers.freeable();
    /** The stop's limit while {@link #read} runs ({@link CapturedMemory#NO_DEADLINE}: none): {@link #batch} honours it. */
    private long deadline = CapturedMemory.NO_DEADLINE;
    /** The wait reasons of a goroutine parked in semacquire1 (runtime/sema.go): those sync's waiters park with. */
    private final Set<Integer> semaReasons;
    /** The wait reason of a goroutine parked in notifyListWait (runtime/sema.go): sync.Cond's waiters. */
    private final Set<Integer> condReasons;
    /** sync.Cond's notify field, and runtime.notifyList's head and tail; -1 when the layout lacks them (Cond is not read). */
    private final long condNotify, nHead, nTail;
    private final int notifyListSize;
    /** The executable's mapped range at run time: a word in it is code or a variable, never a sudog. */
    private final long imageLo, imageHi;
    /** Words of a semaphore waiter's stack looked at, from its SP: semacquire1's frame lies within them. */
    static final int STACK_WORDS = 64;
    /** Rounds of {@link #fromStacks}: each reads every unexplained waiter's next candidate word. */
    static final int STACK_ROUNDS = 16;
    /** Words of a Cond waiter's stack looked at for its Cond, from its SP: sync.(*Cond).Wait's frame lies within them. */
    static final int COND_WORDS = 128;
    /** Candidate words of each Cond waiter read in one batch, and the rounds of them. */
    static final int COND_CANDIDATES = 8;
    static final int COND_ROUNDS = COND_WORDS / COND_CANDIDATES;

    /** A pointer field: where it is, and whether it is a maybeTraceablePtr (two words, the second the address). */
    private record Ptr(long offset, boolean twoWords) {
        long read(ByteBuffer b, int base) {
            // Go 1.26's maybeTraceablePtr/maybeTraceableChan: {vp unsafe.Pointer; vu uintptr},
            // "vu: source of truth" (runtime/runtime2.go); vp is nil while untraceable.
            return b.getLong(base + (int) offset + (twoWords ? 8 : 0));
        }
    }

    private WaitReader(RuntimeLayout layout, long semtable, int semEntry, long imageLo, long imageHi) {
        this.imageLo = imageLo;
        this.imageHi = imageHi;
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
        semaReasons = reasons(layout, "waitReasonSemacquire", "waitReasonSyncMutexLock", "waitReasonSyncRWMutexRLock",
                "waitReasonSyncRWMutexLock", "waitReasonSyncWaitGroupWait", "waitReasonSynctestWaitGroupWait");
        condReasons = reasons(layout, "waitReasonSyncCondWait");
        long notify = layout.offset("sync.Cond", "notify").orElse(-1);
        long head = layout.offset("runtime.notifyList", "head").orElse(-1);
        long tail = layout.offset("runtime.notifyList", "tail").orElse(-1);
        boolean cond = notify >= 0 && head >= 0 && tail >= 0;
        condNotify = cond ? notify : -1;
        nHead = cond ? head : -1;
        nTail = cond ? tail : -1;
        notifyListSize = cond ? (int) layout.structs().get("runtime.notifyList").size() : 0;
    }

    /**
     * A reader for this layout, when it has the sudog and channel structs; {@code semtable} is the
     * run-time address of runtime.semtable and {@code semtableBytes} its size (0 when unknown:
     * then semaphores are not read).
     */
    public static Optional<WaitReader> of(RuntimeLayout layout, long semtable, long semtableBytes, long imageLo, long imageHi) {
        try {
            boolean table = semtable != 0 && semtableBytes > 0 && semtableBytes % SEM_TAB_SIZE == 0
                    && layout.structs().containsKey("runtime.semaRoot");
            return Optional.of(new WaitReader(layout, table ? semtable : 0, table ? (int) (semtableBytes / SEM_TAB_SIZE) : 0,
                    imageLo, imageHi));
        } catch (IllegalArgumentException | NullPointerException e) {
            return Optional.empty();   // a release whose table lacks these structs
        }
    }

    /** Frees the memory the reads were made into; a later read allocates afresh. */
    public synchronized void release() {
        pool.freeAll();
        pool = CopyBuffers.freeable();
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
     * deadline} (a {@link System#nanoTime()}, or {@link CapturedMemory#NO_DEADLINE}). {@code
     * stacks} (null when none) holds the goroutines' stacks as copied, goroutine i's in range
     * {@code rangeOf[i]} as given (-1: none), from its SP: a semaphore waiter's sudog is found
     * there first ({@link #fromStacks}); the semaphore table is walked only for the waiters it
     * does not explain.
     *
     * <p>{@code skip}, when not null, names goroutines not to read (by index): those that stood
     * since a read made before the stop found what they wait on ({@link Waits#complete}); what
     * that read found is taken over after the stop ({@link Waits#adoptSkipped}), so that the
     * stopped window spends nothing on them. A goroutine that stays parked keeps its sudogs,
     * each naming the same channel in the same queue, or the same semaphore or notifyList (the
     * waker dequeues a sudog and readies its goroutine in one step: runtime/chan.go send, recv,
     * closechan; runtime/sema.go). The channels only skipped goroutines wait on are not read
     * either: such a channel cannot have changed while they stayed parked on it. closechan wakes
     * every waiter; while a receiver is queued the buffer is empty (a send hands its value to the
     * receiver and wakes it), while a sender is queued it is full (a receive takes a value and
     * moves the first sender's into the buffer, waking it); its capacity and element type never
     * change. At 100,004 goroutines (a third on one channel, a third in a select with a channel
     * of its own each) the stop's "waits" phase took 211-250 ms reading them all.
     */
    public synchronized Waits read(MemoryReader mem, GoroutineReader.Copied gs, CapturedMemory stacks, int[] rangeOf,
                                   long deadline, boolean[] skip) {
        Waits out = new Waits();
        this.deadline = deadline;
        boolean[] adopted = skip != null ? skip : new boolean[gs.size()];
        out.skipped(skip);
        try {
            readChannels(mem, gs, out, adopted);
            int unexplained = stacks == null ? -1 : fromStacks(mem, gs, stacks, rangeOf, out, adopted);
            if (semtable != 0 && unexplained != 0) {
                readSemaphores(mem, out, deadline);
            }
            if (stacks != null && condNotify >= 0) {
                readConds(mem, gs, stacks, rangeOf, out, adopted);
            }
        } finally {
            this.deadline = CapturedMemory.NO_DEADLINE;
        }
        if (CapturedMemory.past(deadline)) {
            out.note("the stop reached its limit while what goroutines wait on was read: the batches not begun by then "
                    + "were left unread, and the goroutines they would have explained name no object (waitingOn null)");
        }
        return out;
    }

    /** The goroutines parked for one of {@code reasons} whose stack was copied, by index, but those {@code adopted}. */
    private static int[] waitersFor(GoroutineReader.Copied gs, Set<Integer> reasons, int[] rangeOf, boolean[] adopted) {
        int[] waiters = new int[16];
        int count = 0;
        for (int i = 0; i < gs.size(); i++) {
            if (!adopted[i] && gs.baseStatus(i) == Goroutine.G_WAITING && reasons.contains(gs.waitReasonValue(i))
                    && rangeOf[i] >= 0) {
                if (count == waiters.length) {
                    waiters = java.util.Arrays.copyOf(waiters, count * 2);
                }
                waiters[count++] = i;
            }
        }
        return java.util.Arrays.copyOf(waiters, count);
    }

    /** The next candidate address of waiter j (an index into the waiters), 0 when it has no more. */
    private interface Candidates {
        long next(int j);
    }

    /** Whether the bytes read at {@code at} of {@code b} are what waiter j's search looks for. */
    private interface Match {
        boolean test(int j, ByteBuffer b, int at);
    }
    /**
     * The sudogs of the goroutines parked in semacquire1, from their own stacks: semacquire1
     * keeps its sudog {@code s} live across the park (it releases it after), so a register
     * argument's spill or a local holds it in the copied frames (Go's ABI saves no register
     * across a call). The words near the SP that could be a heap pointer (not in the
     * goroutine's own stack, not in the executable's image) are read as sudogs
     * ({@link #sudogsInStacks}); a sudog is kept only when it names this goroutine
     * ({@code sudog.g}) and a semaphore ({@code elem}), with no channel: the runtime's own
     * record says it is this goroutine's wait. A stale sudog (released: elem is cleared; reused:
     * another g's) fails that. Returns how many semaphore waiters no sudog was found for.
     */
    private int fromStacks(MemoryReader mem, GoroutineReader.Copied gs, CapturedMemory stacks, int[] rangeOf, Waits out,
                           boolean[] adopted) {
        int[] waiters = waitersFor(gs, semaReasons, rangeOf, adopted);
        long[] found = sudogsInStacks(mem, gs, stacks, rangeOf, waiters, (j, b, at) -> {
            long g = gs.address(waiters[j]);
            long elem = sElem.read(b, at);
            if (sG.read(b, at) == g && elem != 0 && sC.read(b, at) == 0) {
                out.putSemaphore(g, elem);
                return true;
            }
            return false;
        });
        int left = 0;
        for (long s : found) {
            left += s == 0 ? 1 : 0;
        }
        return left;
    }

    /**
     * For each goroutine of {@code waiters}, the first word of its copied stack (from the SP,
     * within {@link #STACK_WORDS}) that could be a heap pointer and reads as a sudog {@code match}
     * keeps; 0 where none. A round per word, each one batch of every waiter not yet explained
     * (the frames below the park are the same for every waiter, so the first rounds explain nearly all).
     */
    private long[] sudogsInStacks(MemoryReader mem, GoroutineReader.Copied gs, CapturedMemory stacks, int[] rangeOf,
                                  int[] waiters, Match match) {
        int[] nextWord = new int[waiters.length];   // per waiter, the next word of its stack to look at
        return search(mem, waiters.length, sudogSize, 1, STACK_ROUNDS, j -> {
            int i = waiters[j];
            return nextPointer(gs, i, stacks.givenWord(rangeOf[i], 0).isPresent() ? stacks : null, rangeOf[i], nextWord, j,
                    STACK_WORDS, 0, false);
        }, match);
    }

    /**
     * Rounds of reads, each one batch of {@code perRound} candidates of every one of {@code count}
     * searches not yet answered, {@code length} bytes each; a search ends at the first candidate
     * {@code match} keeps (its address is the answer; 0 where none is kept), or when its
     * candidates end.
     */
    private long[] search(MemoryReader mem, int count, int length, int perRound, int rounds, Candidates candidatesOf, Match match) {
        long[] found = new long[count];
        boolean[] done = new boolean[count];
        long[] candidates = new long[count * perRound];
        int[] owner = new int[candidates.length];
        int left = count;
        for (int round = 0; round < rounds && left > 0; round++) {
            int m = 0;
            for (int j = 0; j < count; j++) {
                for (int c = 0; c < perRound && !done[j]; c++) {
                    long w = candidatesOf.next(j);
                    if (w == 0) {
                        break;
                    }
                    candidates[m] = w;
                    owner[m++] = j;
                }
            }
            if (m == 0) {
                break;
            }
            CapturedMemory copy = batch(mem, java.util.Arrays.copyOf(candidates, m), length);
            for (int k = 0; k < m; k++) {
                int j = owner[k];
                int r = copy.find(candidates[k], length);
                if (!done[j] && r >= 0 && match.test(j, copy.rangeBuffer(r), copy.rangeOffset(r, candidates[k]))) {
                    found[j] = candidates[k];
                    done[j] = true;
                    left--;
                }
            }
        }
        return found;
    }

    /**
     * The sync.Cond each goroutine parked in notifyListWait waits on. Its sudog {@code s} is in
     * its own stack (notifyListWait keeps it live across the park: releaseSudog after), found as
     * a semaphore waiter's is, kept when it names this goroutine and no channel. sync.(*Cond).Wait
     * keeps {@code c} live across its call of runtime_notifyListWait(&c.notify, t) (c.L.Lock()
     * after, sync/cond.go), so a word of the copied frames is c: a candidate is read as the
     * runtime.notifyList at c + offsetof(Cond.notify), and it is the Cond when that list's head
     * or tail, or its chain from head through sudog.next, is {@code s} (runtime/sema.go:
     * notifyListWait appends s at l.tail, notifyListNotify* unlink from head). The chain is
     * followed through the waiters' own sudogs, read already, and read from the target only past
     * them; bounded and cycle-safe. A candidate whose list does not hold s is some other word.
     */
    private void readConds(MemoryReader mem, GoroutineReader.Copied gs, CapturedMemory stacks, int[] rangeOf, Waits out,
                           boolean[] adopted) {
        int[] waiters = waitersFor(gs, condReasons, rangeOf, adopted);
        if (waiters.length == 0) {
            return;
        }
        LongMap<Long> nextOf = new LongMap<>();   // each waiter's sudog → its next in its list
        long[] sudog = sudogsInStacks(mem, gs, stacks, rangeOf, waiters, (j, b, at) -> {
            if (sG.read(b, at) == gs.address(waiters[j]) && sC.read(b, at) == 0) {
                nextOf.put(gs.address(waiters[j]), sNext.read(b, at));   // by g until the sudog's address is known
                return true;
            }
            return false;
        });
        LongMap<Long> sudogNext = new LongMap<>();
        for (int j = 0; j < waiters.length; j++) {
            if (sudog[j] != 0) {
                sudogNext.put(sudog[j], nextOf.get(gs.address(waiters[j])));
            }
        }
        NotifyLists walked = new NotifyLists(mem, sudogNext);
        int[] nextWord = new int[waiters.length];
        long[] lists = search(mem, waiters.length, notifyListSize, COND_CANDIDATES, COND_ROUNDS, j -> {
            if (sudog[j] == 0) {
                return 0;
            }
            // c escapes (Wait passes &c.notify to the runtime): never in the stack; it may be a variable
            long c = nextPointer(gs, waiters[j], stacks, rangeOf[waiters[j]], nextWord, j, COND_WORDS, sudog[j], true);
            return c == 0 ? 0 : c + condNotify;
        }, (j, b, at) -> walked.holds(b.getLong(at + (int) nHead), b.getLong(at + (int) nTail), sudog[j]));
        for (int j = 0; j < waiters.length; j++) {
            if (lists[j] != 0) {
                out.putCond(gs.address(waiters[j]), lists[j] - condNotify);
            }
        }
    }

    /**
     * The notifyLists walked by one {@link #readConds}: each list's members by its head and tail,
     * walked once whole (so that N waiters on one Cond cost N steps, not N squared), all walks together
     * at most {@value #MAX_SEMA_SUDOGS} steps; past that only a list's head and tail are looked at.
     */
    private final class NotifyLists {
        private final MemoryReader mem;
        private final LongMap<Long> nextOf;
        /** A list walked: its tail, and its sudogs. */
        private record Walked(long tail, LongMap<Boolean> sudogs) {}

        private final LongMap<Walked> members = new LongMap<>();
        private int steps;
        private ByteBuffer b;

        NotifyLists(MemoryReader mem, LongMap<Long> nextOf) {
            this.mem = mem;
            this.nextOf = nextOf;
        }

        /** Whether the notifyList with {@code head} and {@code tail} holds sudog {@code s}. */
        boolean holds(long head, long tail, long s) {
            if (head == 0 || tail == 0) {
                return false;
            }
            if (tail == s || head == s) {
                return true;
            }
            Walked w = members.get(head);
            if (w == null || w.tail() != tail) {   // a word that only looks like this list's ends elsewhere
                w = new Walked(tail, walk(head, tail));
                members.put(head, w);
            }
            return w.sudogs().containsKey(s);
        }

        /** The sudogs from {@code head} through sudog.next to {@code tail}: cycle-safe, ends where one is unreadable. */
        private LongMap<Boolean> walk(long head, long tail) {
            LongMap<Boolean> in = new LongMap<>();
            long at = head;
            for (int k = 0; at != 0 && k < MAX_QUEUE_WALK && steps < MAX_SEMA_SUDOGS && !in.containsKey(at); k++, steps++) {
                in.put(at, Boolean.TRUE);
                if (at == tail) {
                    break;
                }
                Long next = nextOf.get(at);
                if (next == null) {   // not a waiter's own sudog read already
                    if (b == null) {
                        b = ByteBuffer.allocate(sudogSize).order(ByteOrder.LITTLE_ENDIAN);
                    }
                    try {
                        mem.read(at, b.clear());
                    } catch (MemoryReader.MemoryReadException e) {
                        break;
                    }
                    next = sNext.read(b, 0);
                }
                at = next;
            }
            return in;
        }
    }

    /**
     * The next word of goroutine i's copied stack, from word {@code nextWord[j]} on, within its
     * first {@code words}, that could point to a runtime or sync value: 8-aligned, above the
     * zero page, not into the goroutine's own stack, not its g nor {@code not}; into the
     * executable's image only when {@code image} (a sudog never is; a sync.Cond may be a
     * variable). 0 when there is no more.
     */
    private long nextPointer(GoroutineReader.Copied gs, int i, CapturedMemory stacks, int range, int[] nextWord, int j,
                             int words, long not, boolean image) {
        if (stacks == null) {
            return 0;
        }
        long lo = gs.stackLo(i);
        long hi = gs.stackHi(i);
        long g = gs.address(i);
        while (nextWord[j] < words) {
            java.util.OptionalLong word = stacks.givenWord(range, nextWord[j]++);
            if (word.isEmpty()) {
                nextWord[j] = words;
                return 0;
            }
            long w = word.getAsLong();
            if (w != 0 && w != g && w != not && (w & 7) == 0 && Long.compareUnsigned(w, 0x10000) >= 0
                    && Long.compareUnsigned(w - lo, hi - lo) >= 0
                    && (image || Long.compareUnsigned(w - imageLo, imageHi - imageLo) >= 0)) {
                return w;
            }
        }
        return 0;
    }

    /** The channel cases of every goroutine but those {@code adopted}, and the state of their channels. */
    private void readChannels(MemoryReader mem, GoroutineReader.Copied gs, Waits out, boolean[] adopted) {
        int n = gs.size();
        // The chains still being followed: the goroutine, and the next sudog to read.
        long[] owner = new long[n];
        long[] next = new long[n];
        int[] reason = new int[n];
        int live = 0;
        for (int i = 0; i < n; i++) {
            if (!adopted[i] && gs.waiting(i) != 0 && gs.baseStatus(i) == Goroutine.G_WAITING) {
                owner[live] = gs.address(i);
                next[live] = gs.waiting(i);
                reason[live] = gs.waitReasonValue(i);
                live++;
            }
        }
        LongMap<Boolean> seen = new LongMap<>();   // every sudog read: a chain that comes back to one ends
        List<long[]> selectCases = new ArrayList<>();   // {g, sudog, hchan}
        // Each channel sudog's next in its channel's queue, as read: a queue is then walked in
        // this map, and read from the target only where it holds a sudog not read here.
        LongMap<Long> nextInQueue = new LongMap<>();
        for (int round = 0; live > 0 && round < MAX_SELECT_CASES; round++) {
            CapturedMemory copy = batch(mem, java.util.Arrays.copyOf(next, live), sudogSize);
            int kept = 0;
            for (int k = 0; k < live; k++) {
                int r = copy.find(next[k], sudogSize);
                if (r < 0 || seen.containsKey(next[k])) {
                    continue;   // unreadable, or a sudog seen before: the chain ends
                }
                seen.put(next[k], Boolean.TRUE);
                ByteBuffer b = copy.rangeBuffer(r);
                int at = copy.rangeOffset(r, next[k]);
                long c = sC.read(b, at);
                if (sG.read(b, at) != owner[k] || c == 0) {
                    continue;   // not this goroutine's: the list changed, or it is not a channel's
                }
                boolean select = b.get(at + (int) sIsSelect) != 0;
                nextInQueue.put(next[k], sNext.read(b, at));
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
        // Every channel's hchan, one batch: its state, and the first sudog of each queue.
        long[] known = out.chanAddresses();
        long[] chans = java.util.Arrays.copyOf(known, known.length + selectCases.size());
        int count = known.length;
        LongMap<Boolean> listed = new LongMap<>();
        for (long c : known) {
            listed.put(c, Boolean.TRUE);
        }
        for (long[] sc : selectCases) {
            if (!listed.containsKey(sc[2])) {
                listed.put(sc[2], Boolean.TRUE);
                chans[count++] = sc[2];
            }
        }
        chans = java.util.Arrays.copyOf(chans, count);
        out.tried(chans);
        CapturedMemory copy = batch(mem, chans, hchanSize);
        // A select's cases: receive or send says the queue its sudog is in.
        Map<Long, Map<Long, String>> queues = new HashMap<>();
        for (long[] sc : selectCases) {
            Map<Long, String> q = queues.get(sc[2]);
            if (q == null) {
                int r = copy.find(sc[2], hchanSize);
                q = r < 0 ? Map.of() : queueMembers(mem, copy.rangeBuffer(r), copy.rangeOffset(r, sc[2]), nextInQueue);
                queues.put(sc[2], q);
            }
            out.addChan(sc[0], new Waits.ChanWait(sc[2], q.get(sc[1]), true));
        }
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

    /**
     * The sudogs in the receive and send queues of the channel whose hchan is at {@code at} of
     * {@code hchan}, walked from their first (bounded, cycle-safe), through {@code known} where
     * it has the sudog's next: a select's own channel (a time.After's, say) is then read no more.
     */
    private Map<Long, String> queueMembers(MemoryReader mem, ByteBuffer hchan, int at, LongMap<Long> known) {
        Map<Long, String> out = new HashMap<>();
        ByteBuffer b = null;
        for (int q = 0; q < 2; q++) {
            String op = q == 0 ? "receive" : "send";
            long s = hchan.getLong(at + (int) (q == 0 ? hRecvqFirst : hSendqFirst));
            try {
                for (int k = 0; s != 0 && k < MAX_QUEUE_WALK && !out.containsKey(s); k++) {
                    out.put(s, op);
                    Long next = known.get(s);
                    if (next == null) {
                        if (b == null) {
                            b = ByteBuffer.allocate(Math.max(sudogSize, 8)).order(ByteOrder.LITTLE_ENDIAN);
                        }
                        mem.read(s, b.clear().limit(sudogSize));
                        next = sNext.read(b, 0);
                    }
                    s = next;
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

    /**
     * {@code addresses}, {@code length} bytes each, read in batches into this reader's pool;
     * unreadable ones are left out of the copy. The copy is valid until the next batch: each
     * batch reuses the pool's memory, allocated and touched by the read before the stop.
     */
    private CapturedMemory batch(MemoryReader mem, long[] addresses, int length) {
        pool.reuse();
        if (addresses.length == 0) {
            addresses = new long[] {0};   // an empty copy: address 0 is never readable
        }
        int[] lengths = new int[addresses.length];
        java.util.Arrays.fill(lengths, length);
        // Under a stop limit, batch by batch as given: a batch not begun by the deadline is left unread.
        return deadline == CapturedMemory.NO_DEADLINE ? CapturedMemory.copy(mem, addresses, lengths, pool)
                : CapturedMemory.copyAsGiven(mem, addresses, lengths, pool, deadline);
    }
}
