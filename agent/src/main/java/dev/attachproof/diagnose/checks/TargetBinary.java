package dev.attachproof.diagnose.checks;

import dev.attachproof.diagnose.BinaryFacts;
import dev.attachproof.diagnose.Check;
import dev.attachproof.diagnose.Finding;
import dev.attachproof.diagnose.TargetFacts;
import dev.attachproof.diagnose.TracerFacts;

/**
 * target.binary: a debugger needs the executable the process runs. /proc/PID/exe reaches it
 * even when it was deleted, replaced or lives in another mount namespace; a tool that opens the
 * path instead reads nothing, or the wrong file.
 */
public final class TargetBinary implements Check {
    public String id() {
        return "target.binary";
    }

    public Finding evaluate(TracerFacts tracer, TargetFacts target) {
        if (target == null) {
            return Finding.of(id()).skip("no target pid given");
        }
        BinaryFacts b = target.binary();
        Finding.Builder f = Finding.of(id()).evidence("file", "/proc/" + target.pid() + "/exe").evidence("path", b.linkText());
        if ("not recorded".equals(b.readError())) {
            return f.skip("the executable is not part of a recorded tree");
        }
        if (!b.readable()) {
            return f.evidence("error", b.readError()).warn("cannot read the executable through /proc/" + target.pid() + "/exe (" + b.readError() + ")",
                    "reading it takes ptrace read access, as attaching does: see the failing checks");
        }
        f.evidence("pathHere", b.pathState());
        return switch (b.pathState()) {
            case "deleted" -> f.warn("the executable was deleted after the process started (a redeploy or an upgrade?)",
                    "tools that open the path fail; attachproof and Delve (dlv attach) read /proc/" + target.pid() + "/exe and still work");
            case "replaced" -> f.warn("the file now at " + b.linkText() + " is not the one running (replaced since start): symbols read from the path would be wrong",
                    "point tools at /proc/" + target.pid() + "/exe, not the path");
            case "missing" -> f.warn(b.linkText() + " is not visible in our mount namespace (a sidecar or another container?)",
                    "read the binary through /proc/" + target.pid() + "/exe (dlv attach does); copy it out with cp /proc/" + target.pid() + "/exe for offline tools");
            default -> f.pass("readable through /proc/" + target.pid() + "/exe" + ("same".equals(b.pathState()) ? ", and the same file as " + b.linkText() : ""));
        };
    }
}
