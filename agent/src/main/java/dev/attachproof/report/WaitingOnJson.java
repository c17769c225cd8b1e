package dev.attachproof.report;

import dev.attachproof.golang.WaitingOn;

import java.util.List;

/**
 * A goroutine's {@code waitingOn} in the goroutines JSON (added to v1): null when it waits on no
 * object, else one entry per object (a select's, one per case): channels with their op, element
 * type, len, cap and closed ({@link Chan}); sync values and semaphores with their kind and
 * address only ({@link Other}): the channel's fields are absent from them, not null.
 */
sealed interface WaitingOnJson {
    /** A channel: {@code op} and {@code elemType} null when the runtime's queues or the binary's type names did not say. */
    record Chan(String kind, String address, String op, String elemType, long len, long cap, boolean closed) implements WaitingOnJson {}

    /** A sync value (sync.Mutex, sync.RWMutex, sync.WaitGroup, sync.Cond) or a semaphore no sync type explains. */
    record Other(String kind, String address) implements WaitingOnJson {}

    /** {@code waits} as records; null for null (waits on nothing, or nothing was read). */
    static List<WaitingOnJson> of(List<WaitingOn> waits) {
        if (waits == null) {
            return null;
        }
        return waits.stream().map(w -> {
            String address = "0x" + Long.toHexString(w.address());
            return w.isChan() ? (WaitingOnJson) new Chan(w.kind(), address, w.op(), w.elemType(), w.len(), w.cap(), w.closed())
                    : new Other(w.kind(), address);
        }).toList();
    }
}
