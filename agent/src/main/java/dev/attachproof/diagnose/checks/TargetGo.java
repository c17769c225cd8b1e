package dev.attachproof.diagnose.checks;

import dev.attachproof.diagnose.BinaryFacts;
import dev.attachproof.diagnose.Check;
import dev.attachproof.diagnose.Finding;
import dev.attachproof.diagnose.KernelRules;
import dev.attachproof.diagnose.TargetFacts;
import dev.attachproof.diagnose.TracerFacts;
import dev.attachproof.buildinfo.GoBuildInfo;

/** target.go: the Go version and module, from the build info in the running executable. */
public final class TargetGo implements Check {
    public String id() {
        return "target.go";
    }

    public Finding evaluate(TracerFacts tracer, TargetFacts target) {
        if (target == null) {
            return Finding.of(id()).skip("no target pid given");
        }
        BinaryFacts b = target.binary();
        Finding.Builder f = Finding.of(id()).evidence("file", "/proc/" + target.pid() + "/exe");
        if (KernelRules.kernelThread(target)) {
            return f.skip("a kernel thread: it runs no executable (see target.state)");
        }
        if (!b.readable()) {
            return f.evidence("error", b.readError()).skip("cannot read the executable (" + b.readError() + ")");
        }
        if (b.format().damage() != null) {
            // Its build info may be intact: the ELF around it is what does not read, so "not Go" would be a guess.
            return f.evidence("damage", b.format().damage()).skip("Go or not cannot be told: " + b.damageCause() + " (see target.binary)");
        }
        if (b.buildInfo().isEmpty()) {
            String why = b.format().unsupported() != null ? b.format().unsupported() : "no Go build info in its executable";
            return f.fail("not a Go program: " + why, "attachproof diagnoses Go processes; list them with `attachproof ps`");
        }
        GoBuildInfo info = b.buildInfo().get();
        f.evidence("goVersion", info.goVersion()).evidence("path", info.path()).evidence("arch", b.arch());
        if (!info.mainModule().isEmpty()) {
            f.evidence("module", info.mainModule());
        }
        return f.pass(info.goVersion() + ", " + (info.path().isEmpty() ? "unknown main package" : info.path()) + " (" + b.arch() + ")");
    }
}
