package dev.attachproof.report;

import com.fasterxml.jackson.databind.annotation.JsonSerialize;

import java.util.List;
import java.util.Map;

/**
 * One goroutine of the goroutines document ({@link GoroutinesDocument}), its fields in the
 * document's order. {@code startFunction}, {@code lockedToThread}, {@code readAfterStop},
 * {@code framesElided}, {@code stackNote} and {@code waitingOn} were added to v1. A frame's record is one object for
 * every stack it is in ({@link GoroutinesJson}), written once ({@link WrittenOnceSerializer}).
 *
 * @param waitReason null for none
 * @param threadId   the thread running it or blocked in its syscall, null when none is
 * @param waitingOn  the objects it is blocked on ({@link WaitingOnJson}), null for none (or when not read)
 * @param createdBy  null for a goroutine no go statement created (goroutine 1, the runtime's own)
 */
record GoroutineJson(long id, String status, String waitReason, long waitMinutes, boolean system, String startFunction,
                     Integer threadId, boolean lockedToThread, boolean readAfterStop, Map<String, String> labels,
                     List<WaitingOnJson> waitingOn, @JsonSerialize(contentUsing = WrittenOnceSerializer.class) List<Frame> frames,
                     int framesElided, String stackNote, CreatedBy createdBy) {

    /**
     * A frame as Go's traceback prints it. {@code args} (added to v1): what Go prints between the
     * frame's parentheses ("0xc000080120, 0x0?", "" for none, "..." for an inlined frame).
     */
    record Frame(String function, String file, int line, String pc, boolean inlined, String args) {}

    /** The go statement that created it, and in which goroutine: null where the target's Go does not record it (before 1.21). */
    record CreatedBy(String function, String file, int line, Long goroutineId) {}
}
