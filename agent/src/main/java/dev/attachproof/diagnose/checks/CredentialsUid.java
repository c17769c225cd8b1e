package dev.attachproof.diagnose.checks;

import dev.attachproof.diagnose.Check;
import dev.attachproof.diagnose.Finding;
import dev.attachproof.diagnose.KernelRules;
import dev.attachproof.diagnose.TargetFacts;
import dev.attachproof.diagnose.TracerFacts;

/**
 * credentials.uid: __ptrace_may_access (PTRACE_MODE_ATTACH_REALCREDS) lets a tracer without
 * CAP_SYS_PTRACE attach only when its real uid equals the target's real, effective and saved
 * uids, and its real gid the target's three gids.
 */
public final class CredentialsUid implements Check {
    public String id() {
        return "credentials.uid";
    }

    public Finding evaluate(TracerFacts tracer, TargetFacts target) {
        Finding.Builder f = Finding.of(id())
                .evidence("tracerUid", tracer.status().uids().res())
                .evidence("tracerGid", tracer.status().gids().res());
        if (target == null) {
            return f.pass("this process runs as uid " + tracer.status().uids().real()
                    + "; it may attach to processes whose real, effective and saved ids all match");
        }
        f.evidence("targetUid", target.status().uids().res()).evidence("targetGid", target.status().gids().res());
        if (KernelRules.sameIds(tracer, target)) {
            return f.pass("our real uid/gid match the target's real, effective and saved ids");
        }
        String diff = "our real uid/gid " + tracer.status().uids().real() + "/" + tracer.status().gids().real()
                + " differ from the target's uid " + target.status().uids().res() + ", gid " + target.status().gids().res();
        return switch (KernelRules.sysPtrace(tracer, target)) {
            case COUNTS -> f.pass(diff + "; CAP_SYS_PTRACE overrides that");
            case UNKNOWN -> f.warn(diff + "; whether our CAP_SYS_PTRACE counts in its user namespace is unknown",
                    "see namespace.user");
            default -> f.evidence("errno", "EPERM").fail(diff + ", and we lack CAP_SYS_PTRACE for it",
                    "run the debugger as uid " + target.status().uids().real()
                            + " (e.g. sudo -u '#" + target.status().uids().real() + "' dlv attach " + target.pid()
                            + "), or as root with CAP_SYS_PTRACE (containers: --cap-add=SYS_PTRACE)");
        };
    }
}
