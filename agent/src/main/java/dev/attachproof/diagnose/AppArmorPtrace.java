package dev.attachproof.diagnose;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * AppArmor's ptrace mediation, decided from the two labels /proc shows. The kernel
 * (security/apparmor/lsm.c, apparmor_ptrace_access_check, calls aa_may_ptrace in task.c, ipc.c in
 * older kernels, which cross-checks both labels with xcheck_labels) asks two questions, and both
 * must allow the attach:
 * <ul>
 * <li>the tracer's side (profile_tracer_perm): an unconfined tracer passes; a confined one needs
 *     a {@code ptrace (trace) peer=TARGET} rule in its profile, TARGET being the target's label
 *     ("unconfined" for a host process);</li>
 * <li>the target's side (profile_tracee_perm): passes when the target is unconfined, or the
 *     tracer is; otherwise the target's profile needs {@code ptrace (tracedby) peer=TRACER}.</li>
 * </ul>
 * A profile in complain mode logs what it would deny and allows it. A denial is -EACCES
 * (aa_check_perms), which ptrace_attach returns as it is. (A profile compiled without ptrace
 * mediation, for kernels before 4.13, falls back to asking for CAP_SYS_PTRACE: not modelled.)
 *
 * <p>/proc shows labels, never a profile's rules. Those of the container runtimes' default
 * profiles are known: Docker's and containerd's template gives each container profile one ptrace
 * rule, {@code ptrace (trace,read,tracedby,readby) peer=<its own name>}, so between them the
 * answer is exact. For any other profile it is a prediction: the same label on both sides is
 * likely allowed, different labels likely denied, and the attach decides.
 */
public final class AppArmorPtrace {
    /** The profiles whose rules are known, and where they come from. */
    static final Map<String, String> KNOWN = Map.of(
            "docker-default", "Docker's default profile (moby profiles/apparmor/template.go)",
            "cri-containerd.apparmor.d", "containerd's default profile (contrib/apparmor/template.go), which Kubernetes' RuntimeDefault loads");

    private static final Pattern WITH_MODE = Pattern.compile("^(.+) \\(([a-z]+)\\)$");

    private AppArmorPtrace() {}

    /**
     * One side's label as /proc/PID/attr/apparmor/current shows it: "unconfined", or the profile
     * (a stack "A//&amp;B") and its mode in parentheses, e.g. "docker-default (enforce)".
     */
    public record Label(String name, String mode) {
        public static Label parse(String text) {
            Matcher m = WITH_MODE.matcher(text.strip());
            return m.matches() ? new Label(m.group(1), m.group(2)) : new Label(text.strip(), null);
        }

        /** The unconfined label, or a profile in unconfined mode (flags=(unconfined)): not mediated. */
        public boolean unconfined() {
            return name.equals("unconfined") || "unconfined".equals(mode);
        }

        /** Complain mode: denials are logged, not enforced. */
        public boolean complaining() {
            return "complain".equals(mode);
        }

        public boolean rulesKnown() {
            return KNOWN.containsKey(name);
        }
    }

    /**
     * Whether a label reads as AppArmor's: "unconfined", or a name and its mode in parentheses
     * (an SELinux context, user:role:type[:level], has neither).
     */
    public static boolean isAppArmorLabel(String text) {
        String t = text.strip();
        return t.equals("unconfined") || WITH_MODE.matcher(t).matches();
    }

    public enum Outcome {
        ALLOWED, LIKELY_ALLOWED, LIKELY_DENIED, DENIED;

        boolean worseThan(Outcome o) {
            return ordinal() > o.ordinal();
        }
    }

    /**
     * A side's refusal: {@code side} is "tracer" or "target", {@code profile} the profile that
     * would need {@code missingRule}.
     */
    public record Denial(String side, String profile, String missingRule) {
        public String describe() {
            return "the " + side + "'s profile '" + profile + "' needs `" + missingRule + "`";
        }
    }

    /** The answer: the worse of the two sides', the denials (when denied or likely so) and why. */
    public record Decision(Outcome outcome, List<Denial> denials, String reason) {
        /** The known profiles the answer rests on, and where their rules come from. */
        public Optional<String> knownRules(Label tracer, Label target) {
            List<String> known = new ArrayList<>();
            for (Label l : List.of(tracer, target)) {
                String source = l.name() + ": " + KNOWN.get(l.name());
                if (l.rulesKnown() && !known.contains(source)) {
                    known.add(source);
                }
            }
            return known.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", known));
        }
    }

    public static Decision decide(Label tracer, Label target) {
        if (tracer.unconfined()) {
            return new Decision(Outcome.ALLOWED, List.of(), "we are unconfined: AppArmor mediates neither side of an unconfined tracer's attach");
        }
        Side ours = tracerSide(tracer, target);
        Side theirs = targetSide(tracer, target);
        Outcome worst = theirs.outcome.worseThan(ours.outcome) ? theirs.outcome : ours.outcome;
        List<Denial> denials = new ArrayList<>();
        for (Side s : List.of(ours, theirs)) {
            // A side refused for certain is the cause; a side only predicted to refuse is named
            // as well only when no side is certain (its rule may be there).
            if (s.denial != null && s.outcome == worst && worst.ordinal() >= Outcome.LIKELY_DENIED.ordinal()) {
                denials.add(s.denial);
            }
        }
        // The reason is the deciding sides': both when both allow, else those as bad as the answer.
        List<String> reasons = new ArrayList<>();
        for (Side s : List.of(ours, theirs)) {
            if (s.outcome == worst) {
                reasons.add(s.reason);
            }
        }
        return new Decision(worst, denials, String.join("; ", reasons));
    }

    private record Side(Outcome outcome, Denial denial, String reason) {}

    /** profile_tracer_perm: our profile must allow `ptrace (trace)` of the target's label. */
    private static Side tracerSide(Label tracer, Label target) {
        if (tracer.complaining()) {
            return new Side(Outcome.ALLOWED, null, "our profile is in complain mode: it logs the attach and allows it");
        }
        if (tracer.name().equals(target.name())) {
            return tracer.rulesKnown()
                    ? new Side(Outcome.ALLOWED, null, "'" + tracer.name() + "' lets its processes trace each other")
                    : new Side(Outcome.LIKELY_ALLOWED, null, "the same profile on both sides, which may trace its own label if its rules say so");
        }
        Denial d = new Denial("tracer", tracer.name(), "ptrace (trace) peer=" + target.name());
        return new Side(tracer.rulesKnown() ? Outcome.DENIED : Outcome.LIKELY_DENIED, d,
                tracer.rulesKnown() ? "'" + tracer.name() + "' traces only processes under itself" : d.describe());
    }

    /** profile_tracee_perm: a confined target's profile must allow `ptrace (tracedby)` by our label. */
    private static Side targetSide(Label tracer, Label target) {
        if (target.unconfined()) {
            return new Side(Outcome.ALLOWED, null, "the target is unconfined: nothing on its side");
        }
        if (target.complaining()) {
            return new Side(Outcome.ALLOWED, null, "the target's profile is in complain mode");
        }
        if (tracer.name().equals(target.name())) {
            return new Side(target.rulesKnown() ? Outcome.ALLOWED : Outcome.LIKELY_ALLOWED, null, "the target's profile is ours");
        }
        Denial d = new Denial("target", target.name(), "ptrace (tracedby) peer=" + tracer.name());
        return new Side(target.rulesKnown() ? Outcome.DENIED : Outcome.LIKELY_DENIED, d,
                target.rulesKnown() ? "'" + target.name() + "' lets only processes under itself trace it" : d.describe());
    }
}
