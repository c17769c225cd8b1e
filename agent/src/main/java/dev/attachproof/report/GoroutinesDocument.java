package dev.attachproof.report;

import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import dev.attachproof.snapshot.CacheUse;

import java.util.List;
import java.util.Map;

/**
 * {@code goroutines --format json}: schema attachproof.goroutines/v1
 * (docs/schemas/goroutines.v1.schema.json), its fields in the document's order. {@code goroutines}
 * is a view that makes each goroutine's record when Jackson reaches it ({@link GoroutinesJson}),
 * written by {@link GoroutineLineSerializer}.
 * Fields added to v1 (fields are only ever added): {@code container}; {@code stacksKept} (copied
 * before the stop, unchanged at it); {@code maxStopMicros} (--max-stop); {@code readAfterStop}
 * (stacks read once the limit let the target go); {@code binaryCache} (whether the binary's
 * findings came from the cache).
 *
 * @param stopPhaseMicros the phases of the stop, in order; they add up to stoppedMicros
 */
record GoroutinesDocument(String schema, int pid, DoctorJson.Container container, String goVersion, String arch, boolean stopped,
                          Long stoppedMicros, String layoutSource, String layout, String listMethod, List<String> notes,
                          Map<String, Long> phaseMicros, Map<String, Long> stopPhaseMicros, Integer stacksKept, Long maxStopMicros,
                          long readAfterStop, CacheUse binaryCache,
                          @JsonSerialize(contentUsing = GoroutineLineSerializer.class) List<GoroutineJson> goroutines) {
    static final String SCHEMA = "attachproof.goroutines/v1";
}
