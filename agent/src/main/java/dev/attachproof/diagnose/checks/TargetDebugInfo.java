package dev.attachproof.diagnose.checks;

import dev.attachproof.diagnose.BinaryFacts;
import dev.attachproof.diagnose.Check;
import dev.attachproof.diagnose.Finding;
import dev.attachproof.diagnose.TargetFacts;
import dev.attachproof.diagnose.TracerFacts;
import dev.attachproof.buildinfo.GoBuildInfo;
import dev.attachproof.buildinfo.GoExecutable;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * target.debuginfo: what makes an attach useless although ptrace succeeds. No DWARF (built with
 * -ldflags=-w or -s, or stripped): Delve stops with "could not open debug info". A `go run` or
 * `go test` temporary binary: it lives in the build cache and is deleted when go exits. The go
 * command itself: the program is its child. An optimised build: variables vanish, lines jump.
 */
public final class TargetDebugInfo implements Check {
    private static final Pattern GO_BUILD_TEMP = Pattern.compile("/go-build\\d+/b\\d+/(exe/)?");

    public String id() {
        return "target.debuginfo";
    }

    public Finding evaluate(TracerFacts tracer, TargetFacts target) {
        if (target == null) {
            return Finding.of(id()).skip("no target pid given");
        }
        BinaryFacts b = target.binary();
        Finding.Builder f = Finding.of(id()).evidence("file", "/proc/" + target.pid() + "/exe");
        if (!b.readable() || b.buildInfo().isEmpty()) {
            return f.skip("no Go executable to inspect");
        }
        GoBuildInfo info = b.buildInfo().get();
        f.evidence("dwarf", b.hasDwarf()).evidence("symtab", b.hasSymtab()).evidence("optimized", info.optimized());
        if (info.settings().containsKey("-gcflags")) {
            f.evidence("-gcflags", info.settings().get("-gcflags"));
        }
        if (info.settings().containsKey("-ldflags")) {
            f.evidence("-ldflags", info.settings().get("-ldflags"));
        }
        if (b.format().dwarfDamage() != null) {
            // The executable reads and the attach is not affected: what fails is the DWARF a
            // debugger reads types, variables and lines from.
            return f.evidence("dwarfDamage", b.format().dwarfDamage()).warn(
                    GoExecutable.damagedDwarf(b.format().dwarfDamage()) + ": a debugger cannot read types, variables or lines from it",
                    GoExecutable.DAMAGED_DWARF_REMEDY);
        }
        if ("cmd/go".equals(info.path())) {
            return f.warn("this is the go command itself (go run / go test), not your program",
                    "attach to its child process instead: `attachproof ps` lists it (its parent is pid " + target.pid() + ")");
        }
        List<String> problems = new ArrayList<>();
        String remedy = "build for debugging: go build -gcflags=all=\"-N -l\" (and no -ldflags=-s/-w), then run that binary";
        if (!b.hasDwarf()) {
            problems.add("no DWARF (stripped, or built with -ldflags=-s/-w): Delve fails with \"could not open debug info\"");
        }
        if (GO_BUILD_TEMP.matcher(b.linkText()).find()) {
            problems.add("a temporary `go run`/`go test` binary in the build cache, deleted when go exits");
        }
        if (!problems.isEmpty()) {
            return f.warn(String.join("; ", problems), remedy);
        }
        if (info.optimized()) {
            return f.warn("has DWARF, but built with optimisations: some variables will be unavailable and stepping jumps",
                    "for a full debugging session: " + remedy);
        }
        return f.pass("DWARF present, optimisations off (-gcflags " + info.settings().get("-gcflags") + ")");
    }
}
