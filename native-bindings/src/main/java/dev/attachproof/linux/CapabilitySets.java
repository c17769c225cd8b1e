package dev.attachproof.linux;

/**
 * A thread's capability sets as capget(2) returns them with _LINUX_CAPABILITY_VERSION_3: two
 * 32-bit words per set, joined here into one 64-bit mask (bit n = capability n).
 */
public record CapabilitySets(long effective, long permitted, long inheritable) {

    public boolean effective(int capability) {
        return (effective & (1L << capability)) != 0;
    }

    public boolean permitted(int capability) {
        return (permitted & (1L << capability)) != 0;
    }
}
