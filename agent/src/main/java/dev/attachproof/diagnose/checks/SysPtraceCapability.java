package dev.attachproof.diagnose.checks;

import dev.attachproof.diagnose.Check;
import dev.attachproof.diagnose.Finding;
import dev.attachproof.diagnose.KernelRules;
import dev.attachproof.diagnose.TargetFacts;
import dev.attachproof.diagnose.TracerFacts;

import java.util.List;

/**
 * capability.sys_ptrace: CAP_SYS_PTRACE in our effective set, and whether this attach needs it:
 * for another user's process, a non-dumpable one, under Yama scope 1 (non-descendant) or 2,
 * or for a target holding capabilities we lack (commoncap's permitted-subset rule). It fails
 * only for that last rule, which no other check decides; for the others the capability is the
 * remedy, and the failing check is the one that names the cause (credentials.uid,
 * target.dumpable, yama.ptrace_scope), so that each EPERM is attributed to its real cause.
 * The remedy follows where the capability is missing from ({@link SysPtraceGrant}): adding it to
 * a container helps only when its bounding set lacks it.
 */
public final class SysPtraceCapability implements Check {
    public String id() {
        return "capability.sys_ptrace";
    }

    public Finding evaluate(TracerFacts tracer, TargetFacts target) {
        long eff = tracer.status().capEff().orElse(0);
        SysPtraceGrant grant = new SysPtraceGrant(tracer.status());
        Finding.Builder f = Finding.of(id())
                .evidence("file", "/proc/self/status")
                .evidence("CapEff", String.format("%016x", eff))
                .evidence("CAP_SYS_PTRACE", KernelRules.sysPtrace(tracer, null) != KernelRules.CapScope.NOT_HELD);
        grant.evidence(f);
        if (target == null) {
            return KernelRules.sysPtrace(tracer, null) == KernelRules.CapScope.NOT_HELD
                    ? f.warn("CAP_SYS_PTRACE is not in our effective set" + boundingNote(grant)
                            + ": only same-user, dumpable processes can be attached",
                        grant.remedy("for other users' processes run as root with CAP_SYS_PTRACE (containers: --cap-add=SYS_PTRACE; Kubernetes: securityContext.capabilities.add: [SYS_PTRACE])"))
                    : f.pass("CAP_SYS_PTRACE is in our effective set");
        }
        List<String> needs = KernelRules.reasonsNeedingSysPtrace(tracer, target);
        List<String> missing = KernelRules.missingPermitted(tracer, target);
        f.evidence("neededFor", needs);
        if (!missing.isEmpty()) {
            f.evidence("targetCapPrm", String.format("%016x", target.status().capPrm().orElse(0)))
             .evidence("capsTargetHoldsWeLack", missing);
        }
        KernelRules.CapScope scope = KernelRules.sysPtrace(tracer, target);
        if (needs.isEmpty()) {
            return f.pass(scope == KernelRules.CapScope.NOT_HELD
                    ? "not held, and not needed for this target"
                    : "held (not needed for this target)");
        }
        String remedy = grant.remedy("grant CAP_SYS_PTRACE: run as root, or --cap-add=SYS_PTRACE for a container, or "
                + "securityContext.capabilities.add: [SYS_PTRACE] in Kubernetes");
        return switch (scope) {
            case COUNTS -> f.pass("held, and it counts in the target's user namespace: it covers " + String.join(", ", needs));
            case UNKNOWN -> f.warn("held, but whether it counts in the target's user namespace cannot be seen from here",
                    "see namespace.user");
            // Only the permitted-subset rule is decided by this check alone; for the other reasons
            // the capability is the remedy, and the cause is the check that names the reason.
            case DOES_NOT_COUNT -> missing.isEmpty()
                    ? f.warn("held only in our own user namespace, where it cannot override: " + String.join(", ", needs),
                        "see namespace.user")
                    : f.evidence("errno", "EPERM").fail("the target holds " + String.join(", ", missing)
                        + ", which we lack, and our CAP_SYS_PTRACE does not count in its user namespace", "see namespace.user");
            case NOT_HELD -> missing.isEmpty()
                    ? f.warn("not held" + boundingNote(grant) + ": it would override " + String.join(", ", needs), remedy)
                    : f.evidence("errno", "EPERM").fail("the target holds capabilities we lack (" + String.join(", ", missing)
                        + "), and only CAP_SYS_PTRACE overrides that" + boundingNote(grant), remedy);
        };
    }

    /** For a capability in the bounding set that a non-root uid does not get: said in the summary, not only the remedy. */
    private static String boundingNote(SysPtraceGrant grant) {
        return grant.gap() == SysPtraceGrant.Gap.BOUNDING_ONLY_NOT_ROOT
                ? " (it is in the bounding set, but a non-root uid gets no capability from exec)" : "";
    }
}
