package dev.attachproof.diagnose.checks;

import dev.attachproof.diagnose.Check;
import dev.attachproof.diagnose.Finding;
import dev.attachproof.diagnose.KernelRules;
import dev.attachproof.diagnose.Status;
import dev.attachproof.diagnose.TargetFacts;
import dev.attachproof.diagnose.TracerFacts;

/**
 * yama.ptrace_scope (security/yama/yama_lsm.c, Documentation/admin-guide/LSM/Yama.rst):
 * 0 classic ptrace permissions; 1 restricted: only an ancestor of the target, a tracer the target
 * named with prctl(PR_SET_PTRACER), or one with CAP_SYS_PTRACE in the target's user namespace;
 * 2 admin-only: CAP_SYS_PTRACE required; 3 no attach at all, until reboot. The file is absent
 * when the kernel has no Yama. The scope is the host kernel's, shared by every container.
 * Whether the target named a tracer is kept in Yama's own list, shown nowhere: at scope 1 the
 * check predicts a refusal, and an attach that works proves the exception.
 */
public final class YamaPtraceScope implements Check {
    /** Evidence of the one fact this check cannot read: did the target name us with PR_SET_PTRACER? */
    private static final String PTRACER = "ptracerNamedByTarget";
    private static final String UNSEEN = "unknown: not shown in /proc";
    private static final String LOWER = "or lower the scope on the host: sudo sysctl kernel.yama.ptrace_scope=0 "
            + "(a container cannot change it: it is the host kernel's)";

    public String id() {
        return "yama.ptrace_scope";
    }

    public Finding evaluate(TracerFacts tracer, TargetFacts target) {
        Finding.Builder f = Finding.of(id()).evidence("file", "/proc/sys/kernel/yama/ptrace_scope");
        if (tracer.yamaScope().isEmpty()) {
            return f.evidence("ptrace_scope", "absent").pass("no Yama in this kernel: classic ptrace permissions apply");
        }
        int scope = tracer.yamaScope().getAsInt();
        f.evidence("ptrace_scope", scope);
        KernelRules.CapScope cap = target == null ? KernelRules.sysPtrace(tracer, null) : KernelRules.sysPtrace(tracer, target);
        boolean capCounts = cap == KernelRules.CapScope.COUNTS;
        switch (scope) {
            case 0:
                return f.pass("0 (classic): any process of the same user may be attached");
            case 1:
                if (target == null) {
                    return capCounts
                            ? f.pass("1 (restricted), and CAP_SYS_PTRACE lets us attach to non-descendants")
                            : f.warn("1 (restricted): only our own descendants, or processes that name us with PR_SET_PTRACER",
                                "start the program under the debugger (dlv exec / dlv debug), run the debugger with CAP_SYS_PTRACE, " + LOWER);
                }
                f.evidence("tracerIsAncestor", target.descendantOfTracer());
                if (target.descendantOfTracer()) {
                    return f.pass("1 (restricted), and the target descends from us");
                }
                if (capCounts) {
                    return f.pass("1 (restricted); the target does not descend from us, but CAP_SYS_PTRACE allows it");
                }
                return f.evidence(PTRACER, UNSEEN).evidence("errno", "EPERM").fail(
                        "1 (restricted): the target is not our descendant and we lack CAP_SYS_PTRACE; only a "
                                + "prctl(PR_SET_PTRACER) by the target, which cannot be read from outside, would allow it",
                        "start the program under the debugger (dlv exec / dlv debug), run the debugger with CAP_SYS_PTRACE, have the program call prctl(PR_SET_PTRACER, debugger pid), " + LOWER);
            case 2:
                if (capCounts) {
                    return f.pass("2 (admin-only), and we hold CAP_SYS_PTRACE" + (target == null ? "" : " in the target's user namespace"));
                }
                return (target == null ? f : f.evidence("errno", "EPERM")).fail("2 (admin-only): attaching needs CAP_SYS_PTRACE, which we lack",
                        "run the debugger as root with CAP_SYS_PTRACE (containers: --cap-add=SYS_PTRACE), " + LOWER);
            case 3:
                return f.evidence("errno", "EPERM").fail("3 (no attach): no process may attach to any other, whatever its privileges",
                        "only a reboot lowers scope 3; starting the program under a debugger fails too (PTRACE_TRACEME is refused)");
            default:
                return f.warn("unknown scope " + scope, null);
        }
    }

    /**
     * At scope 1 Yama lets a non-descendant without CAP_SYS_PTRACE attach only when
     * ptracer_exception_found(): the target named us, an ancestor of ours, or any process with
     * prctl(PR_SET_PTRACER). An attach that worked despite the predicted refusal proves it did.
     */
    @Override
    public Finding afterAttach(Finding finding) {
        if (finding.status() != Status.FAIL || !UNSEEN.equals(finding.evidence().get(PTRACER))) {
            return finding;
        }
        return finding.restated("errno").evidence(PTRACER, "yes: proven by the attach").pass("1 (restricted): the target does not descend from us "
                + "and we lack CAP_SYS_PTRACE, but it named us (or an ancestor of ours, or any process) with prctl(PR_SET_PTRACER): the attach worked");
    }
}
