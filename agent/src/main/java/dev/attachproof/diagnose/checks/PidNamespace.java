package dev.attachproof.diagnose.checks;

import dev.attachproof.diagnose.Check;
import dev.attachproof.diagnose.Finding;
import dev.attachproof.diagnose.KernelRules;
import dev.attachproof.diagnose.TargetFacts;
import dev.attachproof.diagnose.TracerFacts;

/**
 * namespace.pid: a process can be attached only if it is visible in our pid namespace, that is,
 * its namespace is ours or nested in ours. NSpid lists its pid at each level, ours first.
 */
public final class PidNamespace implements Check {
    private static final String SHARE = "share the target's PID namespace: docker run --pid=container:NAME (or --pid=host), "
            + "Kubernetes shareProcessNamespace: true (sidecar) or hostPID: true (diagnostic pod), "
            + "or kubectl debug --target=CONTAINER";

    public String id() {
        return "namespace.pid";
    }

    public Finding evaluate(TracerFacts tracer, TargetFacts target) {
        Finding.Builder f = Finding.of(id()).evidence("tracerPidNamespace", tracer.pidNamespace());
        boolean initial = KernelRules.INIT_PID_NS.equals(tracer.pidNamespace());
        if (target == null) {
            return initial ? f.pass("we are in the initial PID namespace: every process on the host is visible")
                    : f.pass("we are in a PID namespace of our own (a container): only its processes are visible; to see others, " + SHARE);
        }
        f.evidence("NSpid", target.status().nsPids());
        target.pidNamespace().asText().ifPresent(ns -> f.evidence("targetPidNamespace", ns));
        var nspids = target.status().nsPids();
        String inner = nspids.size() > 1 ? "; it is pid " + nspids.get(nspids.size() - 1) + " inside its own namespace" : "";
        return f.pass("visible from our PID namespace as pid " + target.pid() + inner);
    }

    /** The remedy for a pid that is not visible here: said by the CLI when /proc/PID is missing. */
    public static String notVisibleRemedy() {
        return SHARE;
    }
}
