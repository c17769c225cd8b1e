package dev.attachproof.serve;

import java.util.function.LongSupplier;

/**
 * The request rate limit: a bucket of {@code burst} tokens refilled at {@code perSecond}; each
 * request takes one, and a request that finds the bucket empty is refused (429) with the time
 * until the next token. One bucket for the whole server: a sidecar has few legitimate clients,
 * and what it protects is the target and the node, not fairness between clients.
 */
final class TokenBucket {
    private final double perNano;
    private final double burst;
    private final LongSupplier clock;
    private double tokens;
    private long last;

    TokenBucket(double perSecond, int burst, LongSupplier nanoClock) {
        if (!(perSecond > 0) || burst < 1) {
            throw new IllegalArgumentException("a rate above 0 and a burst of at least 1, not " + perSecond + " and " + burst);
        }
        this.perNano = perSecond / 1e9;
        this.burst = burst;
        this.clock = nanoClock;
        this.tokens = burst;
        this.last = nanoClock.getAsLong();
    }

    /** Takes a token: 0 when there was one, else the nanoseconds until there will be. */
    synchronized long take() {
        long now = clock.getAsLong();
        tokens = Math.min(burst, tokens + (now - last) * perNano);
        last = now;
        if (tokens >= 1) {
            tokens -= 1;
            return 0;
        }
        return (long) Math.ceil((1 - tokens) / perNano);
    }
}
