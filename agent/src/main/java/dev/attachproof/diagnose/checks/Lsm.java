package dev.attachproof.diagnose.checks;

import dev.attachproof.diagnose.Check;
import dev.attachproof.diagnose.Finding;
import dev.attachproof.diagnose.TargetFacts;
import dev.attachproof.diagnose.TracerFacts;
import dev.attachproof.procfs.FileRead;

import java.util.Arrays;
import java.util.List;

/**
 * lsm: the Linux Security Modules that see every ptrace attach (security_ptrace_access_check).
 * /sys/kernel/security/lsm lists them; /proc/PID/attr/current (or attr/apparmor/current) holds
 * each side's label. AppArmor's docker-default profile allows ptrace only between processes
 * under that same profile; SELinux, BPF LSM and Landlock decide by policies that /proc does not
 * show, so they are named, not judged.
 */
public final class Lsm implements Check {
    public String id() {
        return "lsm";
    }

    public Finding evaluate(TracerFacts tracer, TargetFacts target) {
        Finding.Builder f = Finding.of(id()).evidence("file", "/sys/kernel/security/lsm");
        FileRead list = tracer.lsmList();
        List<String> lsms = list.asText().map(s -> Arrays.asList(s.strip().split(","))).orElse(List.of());
        f.evidence("lsms", list instanceof FileRead.Content ? lsms : "unreadable (securityfs not mounted?)");
        String ours = tracer.label().orElse("none");
        f.evidence("tracerLabel", ours);
        String theirs = target == null ? null : target.label().orElse("none");
        if (target != null) {
            f.evidence("targetLabel", theirs);
        }
        if (confinedByAppArmor(ours)) {
            String profile = profileName(ours);
            if (target != null && !profile.equals(profileName(theirs))) {
                return f.evidence("errno", "EPERM").fail(
                        "AppArmor confines us to profile '" + profile + "', which allows ptrace only of peers under the same profile; the target runs under '" + theirs + "'",
                        "run the debugger unconfined (docker --security-opt apparmor=unconfined; Kubernetes appArmorProfile type: Unconfined), or add a ptrace rule for the target's profile");
            }
            return f.warn("AppArmor confines us to profile '" + profile + "': ptrace is allowed only as that profile's rules say",
                    "if the attach is denied, run the debugger unconfined (docker --security-opt apparmor=unconfined)");
        }
        boolean selinux = lsms.contains("selinux") || ours.contains(":");
        if (selinux && !ours.equals("none")) {
            return f.warn("SELinux labels us '" + ours + "'" + (theirs == null ? "" : " and the target '" + theirs + "'")
                            + ": the policy decides ptrace between domains (process:ptrace permission)",
                    "if the attach is denied, look for an AVC denial: ausearch -m avc -c dlv, or run the debugger as spc_t (privileged)");
        }
        if (lsms.contains("bpf") || lsms.contains("landlock")) {
            return f.warn("active: " + String.join(",", lsms) + "; a BPF LSM program or a Landlock domain can deny ptrace without leaving a trace in /proc",
                    "if the attach is denied with every other check passing, look for BPF LSM programs (bpftool prog list, type lsm) or a Landlock sandbox around the debugger");
        }
        if (!(list instanceof FileRead.Content)) {
            return f.warn("which LSMs are active cannot be read here (/sys/kernel/security is not mounted); labels: ours " + ours,
                    "to see them: mount -t securityfs none /sys/kernel/security && cat /sys/kernel/security/lsm");
        }
        return f.pass(lsms.isEmpty() ? "no LSM listed" : "no confining LSM: " + String.join(",", lsms));
    }

    private static boolean confinedByAppArmor(String label) {
        return !label.equals("none") && !label.equals("unconfined") && !label.contains(":") && !label.endsWith("(unconfined)");
    }

    /** "docker-default (enforce)" is profile "docker-default". */
    private static String profileName(String label) {
        int paren = label.lastIndexOf(" (");
        return paren > 0 ? label.substring(0, paren) : label;
    }
}
