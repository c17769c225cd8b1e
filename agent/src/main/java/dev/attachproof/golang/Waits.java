package dev.attachproof.golang;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@link WaitReader} read while the target was stopped, not yet decoded: each goroutine's
 * channel cases and semaphore, by the address of its g, and each channel's state.
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
    private final List<String> notes = new ArrayList<>();

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

    void putChan(Chan c) {
        chans.put(c.address(), c);
    }

    void putSemaphore(long g, long address) {
        semaphores.put(g, address);
    }

    void note(String s) {
        notes.add(s);
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

    /** What could not be read, for the snapshot's notes. */
    public List<String> notes() {
        return List.copyOf(notes);
    }
}
