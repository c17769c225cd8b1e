package dev.attachproof.diagnose;

/**
 * One kernel rule, decided from gathered facts. {@code target} is null when the doctor runs
 * with no pid: then a check reports the tracer's side only, or skips.
 */
public interface Check {
    /** The stable id from docs/contract.md, e.g. "yama.ptrace_scope". */
    String id();

    Finding evaluate(TracerFacts tracer, TargetFacts target);

    /**
     * This check's {@code finding} once an attach has worked. A check that fails on a fact /proc
     * cannot show (Yama's PR_SET_PTRACER exception) overrides this to say what the attach proved;
     * the others keep their finding, and a failure of theirs contradicts the proof.
     */
    default Finding afterAttach(Finding finding) {
        return finding;
    }

    /**
     * This check's {@code finding} once the kernel refused the attach with no visible rule to
     * explain it, knowing what the {@link Refusal} showed. A check whose cause /proc can hide
     * (a tracer outside our PID namespace) overrides this; the others keep their finding.
     */
    default Finding afterRefusal(Finding finding, Refusal refusal) {
        return finding;
    }
}
