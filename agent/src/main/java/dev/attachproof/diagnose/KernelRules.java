package dev.attachproof.diagnose;

import dev.attachproof.linux.LinuxConstants;
import dev.attachproof.procfs.Credentials;
import dev.attachproof.procfs.ProcStat;

import java.util.ArrayList;
import java.util.List;

/**
 * The parts of the kernel's ptrace permission logic that several checks share, written after
 * kernel/ptrace.c ({@code __ptrace_may_access}, mode PTRACE_MODE_ATTACH_REALCREDS) and
 * security/commoncap.c ({@code cap_ptrace_access_check}). "Counts" answers the kernel's
 * {@code ns_capable(target_user_ns, CAP_SYS_PTRACE)}.
 */
public final class KernelRules {
    /** PROC_USER_INIT_INO: the initial user namespace's inode (include/linux/proc_ns.h). */
    public static final String INIT_USER_NS = "user:[4026531837]";
    /** PROC_PID_INIT_INO: the initial pid namespace's inode. */
    public static final String INIT_PID_NS = "pid:[4026531836]";

    private KernelRules() {}

    /** Whether the tracer's CAP_SYS_PTRACE is effective in the target's user namespace. */
    public enum CapScope { COUNTS, DOES_NOT_COUNT, NOT_HELD, UNKNOWN }

    public static CapScope sysPtrace(TracerFacts tracer, TargetFacts target) {
        if (!tracer.hasCapability(LinuxConstants.CAP_SYS_PTRACE)) {
            return CapScope.NOT_HELD;
        }
        if (target == null) {
            return CapScope.COUNTS;
        }
        String ours = tracer.userNamespace();
        String theirs = target.userNamespace().asText().orElse(null);
        if (theirs != null && theirs.equals(ours)) {
            return CapScope.COUNTS;
        }
        // cap_capable() walks up from the target's namespace: a capability held in the initial
        // namespace counts in every namespace below it.
        if (INIT_USER_NS.equals(ours)) {
            return CapScope.COUNTS;
        }
        if (INIT_USER_NS.equals(theirs)) {
            return CapScope.DOES_NOT_COUNT;   // ours is a child namespace: it holds nothing above itself
        }
        return CapScope.UNKNOWN;
    }

    /**
     * The credential test of __ptrace_may_access with REALCREDS: the tracer's real uid must equal
     * the target's real, effective and saved uid, and likewise the real gid.
     */
    public static boolean sameIds(TracerFacts tracer, TargetFacts target) {
        int uid = tracer.status().uids().real();
        int gid = tracer.status().gids().real();
        Credentials tu = target.status().uids();
        Credentials tg = target.status().gids();
        return uid == tu.real() && uid == tu.effective() && uid == tu.saved()
                && gid == tg.real() && gid == tg.effective() && gid == tg.saved();
    }

    /**
     * Whether we and the target are in different user namespaces: true, false, or null when the
     * target's cannot be read. cap_ptrace_access_check compares capability sets only within one
     * namespace; across two it asks for CAP_SYS_PTRACE in the target's, whatever else holds.
     */
    public static Boolean userNamespacesDiffer(TracerFacts tracer, TargetFacts target) {
        String theirs = target.userNamespace().asText().orElse(null);
        return theirs == null ? null : !theirs.equals(tracer.userNamespace());
    }

    /**
     * cap_ptrace_access_check: without CAP_SYS_PTRACE, the target's permitted capabilities must
     * be a subset of ours (REALCREDS compares permitted sets), in the same user namespace.
     * Returns the capabilities the target holds that we lack (none across namespaces, where this
     * rule is not the one applied: see {@link #userNamespacesDiffer}).
     */
    public static List<String> missingPermitted(TracerFacts tracer, TargetFacts target) {
        if (Boolean.TRUE.equals(userNamespacesDiffer(tracer, target))) {
            return List.of();
        }
        long ours = tracer.status().capPrm().orElse(0);
        long theirs = target.status().capPrm().orElse(0);
        return Capabilities.names(theirs & ~ours);
    }

    /**
     * Whether /proc shows the target as not dumpable: the kernel hands /proc/PID/status to root
     * while a process is not dumpable (task_dump_owner). Unknown (null) for a target running as
     * root, whose files are root's either way.
     */
    public static Boolean nonDumpable(TargetFacts target) {
        if (target.owner().isEmpty()) {
            return null;
        }
        int euid = target.status().uids().effective();
        int egid = target.status().gids().effective();
        if (euid == 0 && egid == 0) {
            return null;
        }
        return target.owner().get().uid() == 0 && euid != 0
                || target.owner().get().gid() == 0 && egid != 0 && target.owner().get().uid() == 0;
    }

    /**
     * Whether the target is a kernel thread, which ptrace_attach (kernel/ptrace.c) refuses before
     * any permission check: {@code if (unlikely(task->flags & PF_KTHREAD)) goto out;} with
     * -EPERM, whoever asks, with every capability. PTRACE_SEIZE takes the same path. /proc shows
     * the flag in the flags field of /proc/PID/stat; false when that cannot be read.
     */
    public static boolean kernelThread(TargetFacts target) {
        return target.stat().map(ProcStat::kernelThread).orElse(false);
    }

    /** Every reason that calls for CAP_SYS_PTRACE here, as the kernel would test them. */
    public static List<String> reasonsNeedingSysPtrace(TracerFacts tracer, TargetFacts target) {
        List<String> reasons = new ArrayList<>();
        if (!sameIds(tracer, target)) {
            reasons.add("ids differ (credentials.uid)");
        }
        if (Boolean.TRUE.equals(nonDumpable(target))) {
            reasons.add("target not dumpable (target.dumpable)");
        }
        if (!missingPermitted(tracer, target).isEmpty()) {
            reasons.add("target holds capabilities we lack");
        }
        if (Boolean.TRUE.equals(userNamespacesDiffer(tracer, target))) {
            reasons.add("user namespaces differ (namespace.user)");
        }
        int scope = tracer.yamaScope().orElse(0);
        if (scope == 2 || scope == 1 && !target.descendantOfTracer()) {
            reasons.add("Yama ptrace_scope " + scope + " (yama.ptrace_scope)");
        }
        return reasons;
    }
}
