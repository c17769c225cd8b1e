package dev.attachproof.diagnose;

import java.util.List;

/**
 * The doctor's answer for one pid: the verdict (decided by the proof when there is one), what the
 * checks alone predicted, every finding, the proof, and a sentence when the proof contradicted
 * the findings (null otherwise). After an attach that worked, the findings say what it proved
 * that /proc does not show ({@link Check#afterAttach}): then {@code predicted} may differ from
 * the verdict with no contradiction.
 */
public record Diagnosis(int pid, Verdict verdict, Verdict predicted, List<Finding> findings, Proof proof,
                        String contradiction) {

    public List<Finding> failing() {
        return findings.stream().filter(f -> f.status() == Status.FAIL).toList();
    }
}
