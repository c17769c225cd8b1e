package dev.attachproof.diagnose.checks;

import dev.attachproof.diagnose.Check;
import dev.attachproof.diagnose.Finding;
import dev.attachproof.diagnose.TargetFacts;
import dev.attachproof.diagnose.TracerFacts;

/**
 * nonewprivs: no_new_privs does not deny ptrace itself, but with it set, exec never grants
 * privileges: a debugger given CAP_SYS_PTRACE through file capabilities (setcap) or setuid gets
 * nothing when started from here (Documentation/userspace-api/no_new_privs.rst).
 */
public final class NoNewPrivs implements Check {
    public String id() {
        return "nonewprivs";
    }

    public Finding evaluate(TracerFacts tracer, TargetFacts target) {
        int nnp = tracer.status().noNewPrivs().orElse(-1);
        Finding.Builder f = Finding.of(id()).evidence("file", "/proc/self/status").evidence("NoNewPrivs", nnp);
        if (nnp == 1) {
            // Adding the capability helps only where the bounding set lacks it; for a non-root
            // uid that has it there, the remedy is capability.sys_ptrace's (root or ambient).
            return f.warn("no_new_privs is set: a setuid or file-capability debugger (e.g. dlv after `setcap cap_sys_ptrace+ep`) gains nothing when started from here",
                    new SysPtraceGrant(tracer.status()).remedy(
                        "grant the capability to the container or user instead (--cap-add=SYS_PTRACE; Kubernetes allowPrivilegeEscalation does not help here)"));
        }
        return f.pass(nnp == 0 ? "not set" : "not reported by this kernel");
    }
}
