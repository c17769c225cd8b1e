package dev.attachproof.diagnose;

/**
 * One kernel rule, decided from gathered facts. {@code target} is null when the doctor runs
 * with no pid: then a check reports the tracer's side only, or skips.
 */
public interface Check {
    /** The stable id from DESIGN.md, e.g. "yama.ptrace_scope". */
    String id();

    Finding evaluate(TracerFacts tracer, TargetFacts target);
}
