package dev.attachproof.diagnose;

import dev.attachproof.linux.Errno;
import dev.attachproof.golang.GoroutineCensus;
import dev.attachproof.ptrace.AttachMethod;

import java.util.List;

/**
 * What attaching for real showed. {@code errno} is the errno of the refused call (null when
 * it worked); {@code read} is what was read from the target's memory (null when nothing was);
 * {@code explainedBy} lists the failing checks that account for a refusal (empty: no visible rule
 * explains it); {@code readMethod} is how memory was read; {@code vanished} says the target exited
 * during the proof, so that nothing was proven either way.
 */
public record Proof(boolean attempted, boolean ok, AttachMethod method, Errno errno, String failedCall,
                    long stoppedMicros, Read read, String readMethod,
                    List<String> explainedBy, List<String> notes, boolean vanished) {

    /**
     * What the proof read while the target was stopped.
     *
     * @param goVersion     the target's Go version, null when not read
     * @param goVersionFrom where it came from: "runtime.buildVersion" (the target's memory) or
     *                      "build info" (the executable's, where a stripped binary leaves no symbol to read)
     * @param goroutines    the goroutines counted in its memory, null when not counted
     */
    public record Read(String goVersion, String goVersionFrom, GoroutineCensus.Count goroutines) {}

    public static Proof notAttempted(String why) {
        return new Proof(false, false, null, null, null, -1, null, null, List.of(), List.of(why), false);
    }

    /** Attached and read: the target was stopped {@code stoppedMicros}; {@code read} is null when nothing was read. */
    public static Proof proven(AttachMethod method, long stoppedMicros, Read read, String readMethod, List<String> notes) {
        return new Proof(true, true, method, null, null, stoppedMicros, read, readMethod, List.of(), notes, false);
    }

    /** The kernel refused {@code failedCall} with {@code errno}; {@code explainedBy}: the failing checks that account for it. */
    public static Proof refused(AttachMethod method, Errno errno, String failedCall, List<String> explainedBy, String note) {
        return new Proof(true, false, method, errno, failedCall, -1, null, null, explainedBy, List.of(note), false);
    }

    /** Attached, but the target did not stop within {@code waitedMicros}; detached again. Nothing proven either way. */
    public static Proof didNotStop(AttachMethod method, long waitedMicros, String note) {
        return new Proof(true, false, method, null, null, waitedMicros, null, null, List.of(), List.of(note), false);
    }

    /** The target exited during the attempt: nothing proven either way. */
    public static Proof vanished(AttachMethod method, String note) {
        return new Proof(true, false, method, null, null, -1, null, null, List.of(), List.of(note), true);
    }

    /** This proof, its refusal explained by {@code checks} (settled after it: {@link Check#afterRefusal}). */
    public Proof explainedBy(List<String> checks) {
        return new Proof(attempted, ok, method, errno, failedCall, stoppedMicros, read, readMethod, checks, notes, vanished);
    }

    public String goVersion() {
        return read == null ? null : read.goVersion();
    }

    /** The goroutines Go's own dump would show ({@link GoroutineCensus.Count#shown}), null when not counted. */
    public Long goroutines() {
        return read == null || read.goroutines() == null ? null : read.goroutines().shown();
    }
}
