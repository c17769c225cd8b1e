package dev.attachproof.diagnose.checks;

import dev.attachproof.diagnose.Check;
import dev.attachproof.diagnose.Finding;
import dev.attachproof.diagnose.KernelRules;
import dev.attachproof.diagnose.TargetFacts;
import dev.attachproof.diagnose.TracerFacts;
import dev.attachproof.procfs.FileRead;

/**
 * namespace.user: capabilities are held per user namespace. Across two namespaces,
 * cap_ptrace_access_check (security/commoncap.c) always asks ns_capable(target's user namespace,
 * CAP_SYS_PTRACE), which holds only when our namespace is the target's or an ancestor of it and
 * we hold the capability there, or we own the target's namespace (cap_capable). From a child
 * namespace of the target's, nothing can attach.
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
        if (theirs != null && theirs.equals(tracer.userNamespace())) {
            return f.pass("same user namespace as the target");
        }
        if (theirs == null && initial) {
            return f.pass("we are in the initial user namespace, the ancestor of every other (the target's cannot be read)");
        }
        String leave = "run the debugger in the target's user namespace or an ancestor (on the host, or a container without userns remapping)";
        if (theirs == null && !initial && target.userNamespace() instanceof FileRead.Unreadable u && u.reason().contains("EACCES")) {
            // The link is guarded by ptrace read access: refused, the attach is refused too. From a
            // namespace of our own, the likely reason is that the target lives outside it.
            return f.evidence("errno", "EPERM").fail("we are in a user namespace of our own, and the kernel refuses us even "
                    + "ptrace read access to the target's (EACCES on /proc/" + target.pid() + "/ns/user): across namespaces "
                    + "it asks for CAP_SYS_PTRACE in the target's, which nothing held in ours gives", leave);
        }
        // Ours is below the initial namespace, the target's: no capability of ours reaches up there.
        String belowTheirs = "we are in a child user namespace of the target's: across namespaces the kernel "
                + "asks for CAP_SYS_PTRACE in the target's, and nothing held down here counts there";
        return switch (scope) {
            case COUNTS -> f.pass("the target's user namespace is below ours: our CAP_SYS_PTRACE counts there");
            case DOES_NOT_COUNT -> f.evidence("errno", "EPERM").fail(belowTheirs, leave);
            case UNKNOWN -> f.warn("different user namespaces, and whether ours is an ancestor of the target's cannot be read from /proc",
                    "if the attach is denied, run the debugger in the target's user namespace (nsenter -U -t " + target.pid() + ")");
            case NOT_HELD -> KernelRules.INIT_USER_NS.equals(theirs)
                    ? f.evidence("errno", "EPERM").fail(belowTheirs, leave)
                    : f.warn("different user namespaces, and we hold no CAP_SYS_PTRACE: the kernel asks for it in the "
                        + "target's namespace, which only its owner has without it (a rootless container's user)",
                        "grant CAP_SYS_PTRACE, or " + leave);
        };
    }
}
