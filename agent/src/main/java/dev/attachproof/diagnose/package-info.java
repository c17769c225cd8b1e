/**
 * Deciding, from the kernel's evidence, whether a ptrace attach can succeed from here, and
 * proving it. Facts are gathered once ({@link dev.attachproof.diagnose.TracerFacts} for this side,
 * {@link dev.attachproof.diagnose.TargetFacts} for the target); each check is a pure function of
 * them that mirrors one kernel rule (kernel/ptrace.c {@code __ptrace_may_access}, the capability
 * LSM's {@code cap_ptrace_access_check}, Yama's {@code yama_ptrace_access_check}, seccomp) and
 * returns a {@link dev.attachproof.diagnose.Finding}. The {@link dev.attachproof.diagnose.Doctor}
 * runs them, then attaches for real; the proof decides the verdict, and a prediction the proof
 * contradicts is said so.
 */
package dev.attachproof.diagnose;
