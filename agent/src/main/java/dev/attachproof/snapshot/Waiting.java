package dev.attachproof.snapshot;

import dev.attachproof.golang.WaitObjects;
import dev.attachproof.golang.WaitingOn;
import dev.attachproof.golang.Waits;

import java.util.List;

/**
 * What the goroutines of a snapshot wait on ({@link GoroutineSnapshot.Reading#waits}): read while
 * the target was stopped, decoded per goroutine once its stack is unwound (a semaphore's sync
 * type is in its frames).
 *
 * @param read whether the snapshot read it (the text dump does not)
 */
public record Waiting(boolean read, Waits raw, WaitObjects objects) {
    public static final Waiting NOT_READ = new Waiting(false, Waits.NONE, null);

    static Waiting of(boolean read, Waits raw, WaitObjects objects) {
        return read && objects != null ? new Waiting(true, raw, objects) : NOT_READ;
    }

    /** What {@code e} waits on: null when it waits on no object read (or nothing was read). */
    public List<WaitingOn> of(GoroutineSnapshot.Entry e) {
        if (!read) {
            return null;
        }
        return objects.of(e.g(), e.stack().frames(), raw);
    }
}
