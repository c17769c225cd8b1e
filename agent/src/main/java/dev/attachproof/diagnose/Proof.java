package dev.attachproof.diagnose;

import java.util.List;

/**
 * What attaching for real showed. {@code errno} is the errno name of the refused call (null when
 * it worked); {@code explainedBy} lists the failing checks that account for a refusal (empty: no
 * visible rule explains it); {@code readMethod} is how memory was read; {@code vanished} says the
 * target exited during the proof, so that nothing was proven either way.
 */
public record Proof(boolean attempted, boolean ok, String method, String errno, String failedCall,
                    long stoppedMicros, String goVersion, Long goroutines, String readMethod,
                    List<String> explainedBy, List<String> notes, boolean vanished) {

    public static Proof notAttempted(String why) {
        return new Proof(false, false, null, null, null, -1, null, null, null, List.of(), List.of(why), false);
    }
}
