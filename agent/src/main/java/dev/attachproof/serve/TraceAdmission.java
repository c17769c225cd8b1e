package dev.attachproof.serve;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;

/**
 * Whether a request that attaches to a target may start now. One request per pid at a time:
 * ptrace allows one tracer per process, and a doctor run while a snapshot holds the target would
 * report the sidecar itself as the tracer in the way. At most {@code maxSnapshots} snapshots at
 * once: each stops every thread of its target and holds a copy of its stacks in memory. A
 * request that cannot start is refused at once (503, Retry-After), never queued: a queue would
 * only grow behind a slow target.
 */
final class TraceAdmission {
    /** Held while the request traces its target; closing it lets the next one in. */
    interface Lease extends AutoCloseable {
        @Override
        void close();
    }

    private static final Map<String, String> RETRY = Map.of("Retry-After", "1");

    private final Set<Integer> busy = ConcurrentHashMap.newKeySet();
    private final Semaphore snapshots;
    private final int maxSnapshots;

    TraceAdmission(int maxSnapshots) {
        this.snapshots = new Semaphore(maxSnapshots);
        this.maxSnapshots = maxSnapshots;
    }

    /** Admits a request on {@code pid} (a snapshot when {@code snapshot}), or throws a 503. */
    Lease admit(int pid, boolean snapshot) {
        if (snapshot && !snapshots.tryAcquire()) {
            throw new HttpError(503, "busy: " + maxSnapshots + " goroutine snapshot" + (maxSnapshots == 1 ? " is" : "s are")
                    + " already being taken (serve --max-snapshots); retry in a second", RETRY);
        }
        if (!busy.add(pid)) {
            if (snapshot) {
                snapshots.release();
            }
            throw new HttpError(503, "busy: another request is attached to pid " + pid
                    + " (ptrace allows one tracer at a time); retry in a second", RETRY);
        }
        return () -> {
            busy.remove(pid);
            if (snapshot) {
                snapshots.release();
            }
        };
    }
}
