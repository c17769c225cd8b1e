package dev.attachproof.serve;

import java.net.InetAddress;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * Which connections stay open. A connection is <em>waiting</em> while it has not yet delivered a
 * whole request head (just accepted, or idle between requests); waiting costs the client nothing
 * and the server a socket, which is what a slowloris spends. So waiting connections are capped
 * per client address and in all, and the cap is enforced by closing the oldest waiting one, not
 * by refusing the newcomer: a client that sends its request at once (a liveness probe) always
 * gets in, from any address, even beside hundreds of stalled connections from its own. Over the
 * per-address cap only a connection that has waited {@link #MIN_WAIT_NANOS} is closed: a burst
 * of honest connections (100 requests at once) has its heads in the socket buffers before their
 * threads read them, and must not be taken for stalled. A connection that has sent its head is
 * <em>working</em> and is never closed to make room; when every open connection is working, a
 * new one is refused.
 */
final class ConnectionGate {
    /** What the gate can close. */
    interface Closeable {
        InetAddress client();

        /** Closes the socket: its reader wakes up with an exception and goes away quietly. */
        void evict();
    }

    static final long MIN_WAIT_NANOS = 1_000_000_000L;

    private final int maxWaitingPerClient;
    private final int maxOpen;
    private final Set<Closeable> open = new HashSet<>();
    private final LinkedHashMap<Closeable, Long> waiting = new LinkedHashMap<>();   // since when, oldest first
    private final Map<InetAddress, LinkedHashSet<Closeable>> waitingByClient = new HashMap<>();
    private final LongSupplier clock;
    private boolean closed;

    ConnectionGate(int maxWaitingPerClient, int maxOpen, LongSupplier nanoClock) {
        this.maxWaitingPerClient = maxWaitingPerClient;
        this.maxOpen = maxOpen;
        this.clock = nanoClock;
    }

    /** A connection just accepted: false when it must be closed (the server stops, or every open one is working). */
    boolean admit(Closeable c) {
        Closeable evicted = null;
        synchronized (this) {
            if (closed) {
                return false;
            }
            if (open.size() >= maxOpen) {
                if (waiting.isEmpty()) {
                    return false;
                }
                evicted = oldestWaiting(waiting.keySet());
            }
            open.add(c);
        }
        if (evicted != null) {
            evicted.evict();
        }
        return waiting(c);
    }

    /** {@code c} waits for a (next) request head; false when it must close instead (the server stops). */
    boolean waiting(Closeable c) {
        Closeable evicted = null;
        synchronized (this) {
            if (closed || !open.contains(c)) {
                return false;
            }
            LinkedHashSet<Closeable> mine = waitingByClient.computeIfAbsent(c.client(), k -> new LinkedHashSet<>());
            long now = clock.getAsLong();
            if (mine.size() >= maxWaitingPerClient && now - waiting.get(mine.getFirst()) >= MIN_WAIT_NANOS) {
                evicted = oldestWaiting(mine);
            }
            waiting.put(c, now);
            mine.add(c);
        }
        if (evicted != null) {
            evicted.evict();
        }
        return true;
    }

    /** {@code c} has a whole request head and is being answered; false when it was closed meanwhile. */
    synchronized boolean working(Closeable c) {
        if (!open.contains(c)) {
            return false;
        }
        unwait(c);
        return true;
    }

    /** Whether the server stops: an answer sent now closes its connection after it. */
    synchronized boolean isClosed() {
        return closed;
    }

    /** {@code c} is closed. */
    synchronized void gone(Closeable c) {
        open.remove(c);
        unwait(c);
        notifyAll();
    }

    /**
     * Stops: no connection is admitted any more and every waiting one is closed at once (it
     * asked nothing). Then waits up to {@code graceMillis} for the working ones to be answered,
     * and closes whatever is still open.
     */
    void close(long graceMillis) throws InterruptedException {
        Set<Closeable> idle;
        synchronized (this) {
            closed = true;
            idle = new HashSet<>(waiting.keySet());
        }
        idle.forEach(Closeable::evict);
        long deadline = System.nanoTime() + graceMillis * 1_000_000;
        Set<Closeable> left;
        synchronized (this) {
            for (long wait = graceMillis; !open.isEmpty() && wait > 0; wait = (deadline - System.nanoTime()) / 1_000_000) {
                wait(wait);
            }
            left = new HashSet<>(open);
        }
        left.forEach(Closeable::evict);
    }

    private Closeable oldestWaiting(Set<Closeable> among) {
        Closeable oldest = among.iterator().next();
        open.remove(oldest);
        unwait(oldest);
        return oldest;
    }

    private void unwait(Closeable c) {
        if (waiting.remove(c) != null) {
            LinkedHashSet<Closeable> mine = waitingByClient.get(c.client());
            mine.remove(c);
            if (mine.isEmpty()) {
                waitingByClient.remove(c.client());
            }
        }
    }
}
