package dev.attachproof.golang;

/**
 * One object a blocked goroutine waits on (JSON's {@code waitingOn}): a channel, a sync value
 * (sync.Mutex, sync.RWMutex, sync.WaitGroup) or a semaphore no sync type explains. Every goroutine
 * blocked on one object names the same address.
 *
 * @param kind     "chan", "sync.Mutex", "sync.RWMutex", "sync.WaitGroup", "sync.Cond" or "semaphore"
 * @param address  the channel's hchan, the sync value itself (not its semaphore field), or the semaphore
 * @param op       a channel's: "receive" or "send" (null when the runtime's queues did not say); null for the others
 * @param elemType a channel's element type as Go spells it ("int", "*main.job"); null for the others or when unreadable
 * @param len      a channel's buffered element count (hchan.qcount)
 * @param cap      a channel's buffer size (hchan.dataqsiz), 0 unbuffered
 * @param closed   whether a channel is closed
 */
public record WaitingOn(String kind, long address, String op, String elemType, long len, long cap, boolean closed) {
    public static final String CHAN = "chan";

    public static WaitingOn sync(String kind, long address) {
        return new WaitingOn(kind, address, null, null, 0, 0, false);
    }

    public boolean isChan() {
        return CHAN.equals(kind);
    }

    /** What names the object whoever waits on it: its kind and address. */
    public String key() {
        return kind + " 0x" + Long.toHexString(address);
    }
}
