package dev.attachproof.diagnose.checks;

import dev.attachproof.diagnose.Check;
import dev.attachproof.diagnose.Finding;
import dev.attachproof.diagnose.TargetFacts;
import dev.attachproof.diagnose.TracerFacts;

/**
 * delve.compat: whether the Delve named with --dlv supports the target's Go version. The Go range
 * of each Delve release is the `compat` command's knowledge, which is not built yet: until then
 * this check says so rather than guess.
 */
public final class DelveCompat implements Check {
    private final String dlvPath;

    public DelveCompat(String dlvPath) {
        this.dlvPath = dlvPath;
    }

    public String id() {
        return "delve.compat";
    }

    public Finding evaluate(TracerFacts tracer, TargetFacts target) {
        Finding.Builder f = Finding.of(id());
        if (dlvPath == null) {
            return f.skip("no Delve named (--dlv PATH)");
        }
        return f.evidence("dlv", dlvPath).skip("not checked: Delve's supported Go range comes with the `compat` command, not built yet");
    }
}
