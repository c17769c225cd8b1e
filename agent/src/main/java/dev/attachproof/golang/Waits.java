package dev.attachproof.golang;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@link WaitReader} read while the target was stopped, not yet decoded: each goroutine's
 * channel cases, semaphore or sync.Cond, by the address of its g, and each channel's state.
 */
public final class Waits {
    /** No goroutine read as waiting on anything (a snapshot that did not read waits). */
    public static final Waits NONE = new Waits();

    /**
     * One channel case of a goroutine.
     *
     * @param op "receive" or "send"; null when the sudog was found in neither of the channel's queues
     */
    public record ChanWait(long hchan, String op, boolean select) {}

    /** A channel as read: its buffered count and capacity, whether closed, and its element type's address. */
    public record Chan(long address, long len, long cap, boolean closed, long elemType) {}

    private final Map<Long, List<ChanWait>> chanWaits = new HashMap<>();
    private final Map<Long, Chan> chans = new LinkedHashMap<>();
    private final Map<Long, Long> semaphores = new HashMap<>();
    private final Map<Long, Long> conds = new HashMap<>();
    private final List<String> notes = new ArrayList<>();
    /** Goroutines whose records were taken over from an earlier read ({@link #adoptSkipped}). */
    private int adopted;

    void addChan(long g, ChanWait w) {
        List<ChanWait> mine = chanWaits.get(g);   // no lambda: this runs while the target is stopped
        if (mine == null) {
            mine = new ArrayList<>(1);
            chanWaits.put(g, mine);
        }
        mine.add(w);
        if (!chans.containsKey(w.hchan())) {
            chans.put(w.hchan(), null);
        }
    }

    long[] chanAddresses() {
        long[] out = new long[chans.size()];
        int i = 0;
        for (Long c : chans.keySet()) {
            out[i++] = c;
        }
        return out;
    }

    /** The channels this read tried to read (an unreadable one among them has no state). */
    private final java.util.Set<Long> tried = new java.util.HashSet<>();

    void tried(long[] channels) {
        for (long c : channels) {
            tried.add(c);
        }
    }

    void putChan(Chan c) {
        chans.put(c.address(), c);
    }

    void putSemaphore(long g, long address) {
        semaphores.put(g, address);
    }

    void putCond(long g, long address) {
        conds.put(g, address);
    }

    void note(String s) {
        if (!notes.contains(s)) {
            notes.add(s);
        }
    }

    /** The goroutines the read that made this skipped (by index; null: none), for {@link #adoptSkipped}. */
    private boolean[] skipped;

    void skipped(boolean[] skip) {
        this.skipped = skip;
    }

    /**
     * For each goroutine i of {@code gs} (the goroutines this read was made of), whether it found
     * what goroutine i waits on whole: its semaphore, its Cond, or channel cases each in a known
     * queue (a select case's queue is found by walking the channel's queues, which other
     * goroutines change under a read made while the target runs). A later read may skip those
     * that stood since ({@link WaitReader#read}).
     */
    public boolean[] complete(GoroutineReader.Copied gs) {
        boolean[] out = new boolean[gs.size()];
        for (int i = 0; i < out.length; i++) {
            long g = gs.address(i);
            if (semaphores.containsKey(g) || conds.containsKey(g)) {
                out[i] = true;
                continue;
            }
            List<ChanWait> cases = chanWaits.get(g);
            boolean whole = cases != null;
            for (int k = 0; whole && k < cases.size(); k++) {
                whole = cases.get(k).op() != null;
            }
            out[i] = whole;
        }
        return out;
    }

    /**
     * Takes over, after the stop, what {@code earlier} found of the goroutines of {@code gs} the
     * read that made this skipped: their channel cases, semaphores and Conds, and the state of
     * every channel this read did not read (only skipped goroutines wait on it: see
     * {@link WaitReader#read}); and, when it took anything over, what {@code earlier} could not read.
     */
    public void adoptSkipped(Waits earlier, GoroutineReader.Copied gs) {
        if (skipped == null) {
            return;
        }
        for (int i = 0; i < skipped.length && i < gs.size(); i++) {
            if (!skipped[i]) {
                continue;
            }
            long g = gs.address(i);
            for (ChanWait w : earlier.chanWaits(g)) {
                addChan(g, w);
            }
            Long sem = earlier.semaphores.get(g);
            if (sem != null) {
                semaphores.put(g, sem);
            }
            Long cond = earlier.conds.get(g);
            if (cond != null) {
                conds.put(g, cond);
            }
            adopted++;
        }
        for (Map.Entry<Long, Chan> c : chans.entrySet()) {
            if (c.getValue() == null && !tried.contains(c.getKey())) {
                c.setValue(earlier.chans.get(c.getKey()));
            }
        }
        if (adopted > 0) {
            earlier.notes.forEach(this::note);
        }
        skipped = null;
    }

    /** How many goroutines' records were taken over from a read made before the stop. */
    public int adopted() {
        return adopted;
    }

    /** The channel cases goroutine {@code g} (its g's address) is parked in; empty for none. */
    public List<ChanWait> chanWaits(long g) {
        return chanWaits.getOrDefault(g, List.of());
    }

    /** The channel at {@code address} as read; null when it could not be read. */
    public Chan chan(long address) {
        return chans.get(address);
    }

    /** The semaphore address goroutine {@code g} is queued on in runtime.semtable, 0 for none. */
    public long semaphore(long g) {
        return semaphores.getOrDefault(g, 0L);
    }

    /** The address of the sync.Cond goroutine {@code g} waits on (its notifyList holds g's sudog), 0 for none. */
    public long cond(long g) {
        return conds.getOrDefault(g, 0L);
    }

    /** What could not be read, for the snapshot's notes. */
    public List<String> notes() {
        return List.copyOf(notes);
    }
}
