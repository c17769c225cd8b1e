package dev.attachproof.diagnose.checks;

import dev.attachproof.diagnose.Check;
import dev.attachproof.diagnose.Finding;
import dev.attachproof.diagnose.TargetFacts;
import dev.attachproof.diagnose.TracerFacts;

/** target.exists: /proc/PID is there, seen from our pid namespace. */
public final class TargetExists implements Check {
    public String id() {
        return "target.exists";
    }

    public Finding evaluate(TracerFacts tracer, TargetFacts target) {
        if (target == null) {
            return Finding.of(id()).skip("no target pid given");
        }
        return Finding.of(id())
                .evidence("file", "/proc/" + target.pid() + "/status")
                .evidence("name", target.status().name())
                .pass("pid " + target.pid() + " (" + target.status().name() + ") is visible here");
    }
}
