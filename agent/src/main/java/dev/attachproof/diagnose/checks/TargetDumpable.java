package dev.attachproof.diagnose.checks;

import dev.attachproof.diagnose.Check;
import dev.attachproof.diagnose.Finding;
import dev.attachproof.diagnose.KernelRules;
import dev.attachproof.diagnose.TargetFacts;
import dev.attachproof.diagnose.TracerFacts;

/**
 * target.dumpable: __ptrace_may_access refuses a target whose mm is not SUID_DUMP_USER unless the
 * tracer has CAP_SYS_PTRACE in the mm's user namespace. A process is not dumpable after
 * prctl(PR_SET_DUMPABLE, 0), or after exec of a setuid/setgid or file-capability binary; the
 * kernel then gives its /proc/PID files to root (fs/proc/base.c, task_dump_owner; not the
 * directory itself, which keeps the euid), which is how it shows from outside.
 */
public final class TargetDumpable implements Check {
    public String id() {
        return "target.dumpable";
    }

    public Finding evaluate(TracerFacts tracer, TargetFacts target) {
        if (target == null) {
            return Finding.of(id()).skip("no target pid given");
        }
        Finding.Builder f = Finding.of(id())
                .evidence("file", "/proc/" + target.pid() + "/status")
                .evidence("owner", target.owner().map(o -> o.uid() + ":" + o.gid()).orElse("unknown"))
                .evidence("targetEuid", target.status().uids().effective());
        Boolean nonDumpable = KernelRules.nonDumpable(target);
        KernelRules.CapScope cap = KernelRules.sysPtrace(tracer, target);
        if (nonDumpable == null) {
            if (cap == KernelRules.CapScope.COUNTS) {
                return f.pass("cannot be seen for a root process, and CAP_SYS_PTRACE covers it either way");
            }
            if (refusedReadAccessOnlyDumpabilityExplains(tracer, target)) {
                return f.evidence("exe", "EACCES").evidence("errno", "EPERM").fail("not dumpable, by elimination: the kernel "
                        + "refuses us even ptrace read access (EACCES on /proc/" + target.pid() + "/exe), though our ids match, "
                        + "it holds no capability we lack and we share its user namespace; of ptrace's rules only a "
                        + "non-dumpable target (or an LSM policy) is left",
                        "attach with CAP_SYS_PTRACE (containers: --cap-add=SYS_PTRACE), or let the program stay dumpable "
                        + "(do not call prctl(PR_SET_DUMPABLE, 0); avoid setuid or setcap on the binary)");
            }
            return f.skip("the target runs as root, so /proc/" + target.pid() + "/status is root's whether or not it is dumpable");
        }
        if (!nonDumpable) {
            return f.pass("dumpable: /proc/" + target.pid() + "/status belongs to the process's own uid");
        }
        String what = "not dumpable: /proc/" + target.pid() + "/status belongs to root while the process runs as uid "
                + target.status().uids().effective() + " (prctl(PR_SET_DUMPABLE, 0), or a setuid/setgid/file-capability binary)";
        if (cap == KernelRules.CapScope.COUNTS) {
            return f.pass(what + "; CAP_SYS_PTRACE overrides that");
        }
        return f.evidence("errno", "EPERM").fail(what,
                "attach with CAP_SYS_PTRACE (as root), or let the program stay dumpable (do not call prctl(PR_SET_DUMPABLE, 0); avoid setuid or setcap on the binary)");
    }

    /**
     * For a root target, whose /proc files are root's either way: reading /proc/PID/exe takes
     * ptrace read access (__ptrace_may_access, which Yama and seccomp do not enter). Refused
     * (EACCES) while the ids match, the target holds no capability we lack and we are in the
     * initial user namespace (so also in the target's or above it), the rule left is dumpability.
     */
    private static boolean refusedReadAccessOnlyDumpabilityExplains(TracerFacts tracer, TargetFacts target) {
        String error = target.binary().readError();
        return error != null && error.contains("EACCES")
                && KernelRules.sameIds(tracer, target)
                && KernelRules.missingPermitted(tracer, target).isEmpty()
                && KernelRules.INIT_USER_NS.equals(tracer.userNamespace())
                && !Boolean.TRUE.equals(KernelRules.userNamespacesDiffer(tracer, target));
    }
}
