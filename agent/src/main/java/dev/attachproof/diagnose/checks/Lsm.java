package dev.attachproof.diagnose.checks;

import dev.attachproof.diagnose.AppArmorPtrace;
import dev.attachproof.diagnose.Check;
import dev.attachproof.diagnose.Finding;
import dev.attachproof.diagnose.Status;
import dev.attachproof.diagnose.TargetFacts;
import dev.attachproof.diagnose.TracerFacts;
import dev.attachproof.procfs.FileRead;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * lsm: the Linux Security Modules that see every ptrace attach (security_ptrace_access_check).
 * /sys/kernel/security/lsm lists them; /proc/PID/attr/apparmor/current (or attr/current) holds
 * each side's label, and /sys/module/apparmor/parameters/enabled says whether AppArmor is on, both
 * readable without securityfs (which Docker's default profile denies). AppArmor is judged from the
 * two labels ({@link AppArmorPtrace}): exactly between the container runtimes' default profiles,
 * whose rules are known; for others a prediction, which an attach that works overrides. SELinux
 * (its deny_ptrace boolean apart: selinux.deny_ptrace), BPF LSM and Landlock decide by policies
 * that /proc does not show, so they are named, not judged.
 */
public final class Lsm implements Check {
    /** Evidence of a prediction from labels alone: a profile's rules are not in /proc. */
    private static final String RULES = "rules";
    private static final String PREDICTED = "not shown in /proc: predicted from the labels; the attach decides";

    public String id() {
        return "lsm";
    }

    public Finding evaluate(TracerFacts tracer, TargetFacts target) {
        Finding.Builder f = Finding.of(id()).evidence("file", "/sys/kernel/security/lsm");
        FileRead list = tracer.lsmList();
        List<String> lsms = list.asText().map(s -> Arrays.asList(s.strip().split(","))).orElse(List.of());
        f.evidence("lsms", switch (list) {
            case FileRead.Content c -> lsms;
            case FileRead.Missing m -> "absent (securityfs not mounted)";
            case FileRead.Unreadable u -> "unreadable: " + u.reason() + " (an AppArmor profile such as docker-default denies /sys/kernel/security)";
        });
        String ours = tracer.label().orElse("none");
        f.evidence("tracerLabel", ours);
        String theirs = target == null ? null : target.label().orElse("none");
        if (target != null) {
            f.evidence("targetLabel", theirs);
        }
        FileRead enabled = tracer.lsmSwitches().appArmorEnabled();
        f.evidence("appArmorEnabled", switch (enabled) {
            case FileRead.Content c -> c.text().strip();
            case FileRead.Missing m -> "absent (/" + m.path() + ")";
            case FileRead.Unreadable u -> "unreadable: " + u.reason();
        });
        boolean appArmorOn = enabled.asText().map(s -> s.strip().equals("Y")).orElse(lsms.contains("apparmor"))
                || AppArmorPtrace.isAppArmorLabel(ours) && !ours.equals("unconfined");
        if (appArmorOn && AppArmorPtrace.isAppArmorLabel(ours)) {
            Optional<Finding> judged = appArmor(f, AppArmorPtrace.Label.parse(ours), target == null ? null : theirs);
            if (judged.isPresent()) {
                return judged.get();
            }
        }
        boolean selinux = lsms.contains("selinux") || SelinuxDenyPtrace.isContext(ours);
        if (selinux && !ours.equals("none")) {
            return f.warn("SELinux labels us '" + ours + "'" + (theirs == null ? "" : " and the target '" + theirs + "'")
                            + ": the policy decides ptrace between domains (process:ptrace permission; its deny_ptrace boolean: selinux.deny_ptrace)",
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
        if (appArmorOn && AppArmorPtrace.isAppArmorLabel(ours)) {
            return f.pass("AppArmor allows it: we are unconfined, which it does not mediate (active: " + String.join(",", lsms) + ")");
        }
        return f.pass(lsms.isEmpty() ? "no LSM listed" : "no confining LSM: " + String.join(",", lsms));
    }

    /**
     * AppArmor's answer, or empty when it has nothing to say (an unconfined tracer: allowed, and
     * the other LSMs are looked at as for a machine without AppArmor).
     */
    private static Optional<Finding> appArmor(Finding.Builder f, AppArmorPtrace.Label ours, String theirs) {
        if (ours.unconfined()) {
            f.evidence("appArmor", "allows: we are unconfined, and AppArmor mediates neither side of an unconfined tracer's attach");
            return Optional.empty();
        }
        f.evidence("tracerProfile", ours.name() + (ours.mode() == null ? "" : " (" + ours.mode() + ")"));
        if (theirs == null || theirs.equals("none") || !AppArmorPtrace.isAppArmorLabel(theirs)) {
            String where = theirs == null ? "" : "; the target's label cannot be read";
            return Optional.of(f.warn("AppArmor confines us to profile '" + ours.name() + "': ptrace is allowed only as its rules say"
                    + (ours.rulesKnown() ? ", which for this one means only processes under the same profile" : "") + where,
                    remedy(List.of())));
        }
        AppArmorPtrace.Label target = AppArmorPtrace.Label.parse(theirs);
        f.evidence("targetProfile", target.name() + (target.mode() == null ? "" : " (" + target.mode() + ")"));
        AppArmorPtrace.Decision d = AppArmorPtrace.decide(ours, target);
        d.knownRules(ours, target).ifPresent(k -> f.evidence("knownProfiles", k));
        String profiles = "us '" + ours.name() + "' and the target '" + target.name() + "'";
        List<String> denied = d.denials().stream().map(AppArmorPtrace.Denial::describe).toList();
        return Optional.of(switch (d.outcome()) {
            case ALLOWED -> f.evidence("appArmor", d.reason()).pass("AppArmor allows it: " + d.reason());
            case LIKELY_ALLOWED -> f.evidence(RULES, PREDICTED).warn("AppArmor confines " + profiles
                            + ": the same profile on both sides, allowed if it has a ptrace rule for its own label (as Docker's and containerd's do)",
                    "if the attach is denied (EACCES), add `ptrace (trace,tracedby) peer=" + ours.name() + ",` to the profile, or " + remedy(List.of()));
            case DENIED -> f.evidence("deniedBy", denied).evidence("errno", "EACCES")
                    .fail("AppArmor denies it: " + String.join("; ", denied) + " (" + d.reason() + ")", remedy(d.denials()));
            case LIKELY_DENIED -> f.evidence("deniedBy", denied).evidence(RULES, PREDICTED).evidence("errno", "EACCES")
                    .fail("AppArmor confines " + profiles + ": different labels, refused unless the rules allow it: "
                            + String.join(", and ", denied)
                            + " (a profile's rules are not shown in /proc: the attach decides)", remedy(d.denials()));
        });
    }

    /** What lets the attach through, per setting: an unconfined debugger passes both sides. */
    private static String remedy(List<AppArmorPtrace.Denial> denials) {
        String rules = denials.isEmpty() ? "" : "; or give the profiles the rules: "
                + String.join(", ", denials.stream().map(d -> "`" + d.missingRule() + ",` in '" + d.profile() + "'").toList());
        return "run the debugger unconfined, which AppArmor lets attach to any process: docker run --security-opt apparmor=unconfined; "
                + "Kubernetes: securityContext.appArmorProfile: {type: Unconfined} on the debugger's container (before 1.30 the annotation "
                + "container.apparmor.security.beta.kubernetes.io/CONTAINER: unconfined); on a host: aa-complain PROFILE (logs instead of denying)"
                + rules;
    }

    /**
     * A refusal predicted from the labels alone, where a profile's rules were unknown: an attach
     * that worked proves that they allow it (a `ptrace (trace)` rule for the target, and a
     * `tracedby` rule on a confined target's side).
     */
    @Override
    public Finding afterAttach(Finding finding) {
        if (finding.status() != Status.FAIL || !PREDICTED.equals(finding.evidence().get(RULES))) {
            return finding;
        }
        return finding.restated("errno", "deniedBy", RULES).evidence(RULES, "proven by the attach: the profiles' ptrace rules allow it")
                .pass("AppArmor allows it: the profiles' rules (which /proc does not show) let "
                        + finding.evidence().get("tracerProfile") + " trace " + finding.evidence().get("targetProfile") + ": the attach worked");
    }
}
