package dev.attachproof.diagnose.checks;

import dev.attachproof.diagnose.Check;
import dev.attachproof.diagnose.Finding;
import dev.attachproof.diagnose.Status;
import dev.attachproof.diagnose.SyscallProbe;
import dev.attachproof.diagnose.TargetFacts;
import dev.attachproof.diagnose.TracerFacts;

import java.util.function.Function;

/**
 * seccomp.ptrace and seccomp.process_vm_readv: whether a seccomp filter on our own process
 * answers a syscall before the kernel does. "Seccomp: 2" only says a filter exists, not what it
 * filters, so each call is probed with a harmless request whose normal answer is known.
 */
public final class Seccomp implements Check {
    private final String id;
    private final String syscall;
    private final Function<TracerFacts, SyscallProbe> probe;
    private final Status whenDenied;
    private final String deniedMeaning;

    private Seccomp(String syscall, Function<TracerFacts, SyscallProbe> probe, Status whenDenied, String deniedMeaning) {
        this.id = "seccomp." + syscall;
        this.syscall = syscall;
        this.probe = probe;
        this.whenDenied = whenDenied;
        this.deniedMeaning = deniedMeaning;
    }

    public static Seccomp ptrace() {
        return new Seccomp("ptrace", TracerFacts::ptraceProbe, Status.FAIL,
                "no debugger can attach from this process or its children");
    }

    public static Seccomp processVmReadv() {
        return new Seccomp("process_vm_readv", TracerFacts::vmReadvProbe, Status.WARN,
                "the attach works, but memory must be read through /proc/PID/mem or PTRACE_PEEKDATA (attachproof falls back; some tools do not)");
    }

    public String id() {
        return id;
    }

    public Finding evaluate(TracerFacts tracer, TargetFacts target) {
        int mode = tracer.status().seccompMode().orElse(-1);
        Finding.Builder f = Finding.of(id).evidence("file", "/proc/self/status").evidence("Seccomp", mode);
        tracer.status().seccompFilters().ifPresent(n -> f.evidence("Seccomp_filters", n));
        SyscallProbe p = probe.apply(tracer);
        if (p == null) {
            return mode == 0 ? f.pass("no seccomp filter on this process")
                    : f.skip("a seccomp filter is installed (Seccomp: " + mode + "); not probed in a recorded tree");
        }
        f.evidence("probe", p.call()).evidence("expected", p.expected()).evidence("observed", p.observed());
        if (p.asExpected()) {
            return f.pass(mode == 0 ? "no seccomp filter on this process"
                    : "a seccomp filter is installed, and it lets " + syscall + " through");
        }
        f.evidence("errno", p.observed());
        String summary = "a seccomp filter answers " + syscall + " with " + p.observed() + ": " + deniedMeaning;
        String remedy = "run the debugger without that filter: docker/podman --security-opt seccomp=unconfined "
                + "(or a profile that allows " + syscall + "), Kubernetes securityContext.seccompProfile.type: Unconfined";
        return whenDenied == Status.FAIL ? f.fail(summary, remedy) : f.warn(summary, remedy);
    }
}
