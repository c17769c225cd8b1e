package dev.attachproof.diagnose.checks;

import dev.attachproof.diagnose.Check;
import dev.attachproof.diagnose.Finding;
import dev.attachproof.diagnose.KernelRules;
import dev.attachproof.diagnose.TargetFacts;
import dev.attachproof.diagnose.TracerFacts;

/**
 * namespace.user: capabilities are held per user namespace. The kernel asks
 * ns_capable(target's user namespace, CAP_SYS_PTRACE), which holds only when our namespace is the
 * target's or an ancestor of it (kernel/capability.c, security/commoncap.c cap_capable).
 */
public final class UserNamespace implements Check {
    public String id() {
        return "namespace.user";
    }

    public Finding evaluate(TracerFacts tracer, TargetFacts target) {
        Finding.Builder f = Finding.of(id()).evidence("tracerUserNamespace", tracer.userNamespace());
        boolean initial = KernelRules.INIT_USER_NS.equals(tracer.userNamespace());
        if (target == null) {
            return initial ? f.pass("we are in the initial user namespace: our capabilities count everywhere")
                    : f.pass("we are in a user namespace of our own: our capabilities count only inside it and its children");
        }
        String theirs = target.userNamespace().asText().orElse(null);
        f.evidence("targetUserNamespace", theirs == null ? "unreadable (/proc/" + target.pid() + "/ns/user)" : theirs);
        KernelRules.CapScope scope = KernelRules.sysPtrace(tracer, target);
        boolean needed = !KernelRules.reasonsNeedingSysPtrace(tracer, target).isEmpty();
        if (theirs != null && theirs.equals(tracer.userNamespace())) {
            return f.pass("same user namespace as the target");
        }
        return switch (scope) {
            case COUNTS -> f.pass("the target's user namespace is below ours: our CAP_SYS_PTRACE counts there");
            case DOES_NOT_COUNT -> needed
                    ? f.evidence("errno", "EPERM").fail("we are in a child user namespace; capabilities held here do not count for the target",
                        "run the debugger in the target's user namespace or an ancestor (on the host, or a container without userns remapping)")
                    : f.warn("we are in a child user namespace; our capabilities would not count for the target (not needed here)", null);
            case UNKNOWN -> f.warn("different user namespaces, and whether ours is an ancestor of the target's cannot be read from /proc",
                    "if the attach is denied, run the debugger in the target's user namespace (nsenter -U -t " + target.pid() + ")");
            case NOT_HELD -> f.pass("different user namespaces; we hold no CAP_SYS_PTRACE, so it does not matter");
        };
    }
}
