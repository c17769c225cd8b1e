package dev.attachproof.diagnose.checks;

import dev.attachproof.delve.Compat;
import dev.attachproof.delve.DelveBinary;
import dev.attachproof.delve.DelveLocator;
import dev.attachproof.delve.DelveTable;
import dev.attachproof.diagnose.Check;
import dev.attachproof.diagnose.Finding;
import dev.attachproof.diagnose.TargetFacts;
import dev.attachproof.diagnose.TracerFacts;

/**
 * delve.compat: whether the Delve named with --dlv, else the one VS Code's Go extension would run
 * ({@link DelveLocator}), supports the target's Go version, by the range its own
 * pkg/goversion/compat.go states. Delve checks this on launch and on core files but not on
 * attach, so an unsupported Delve attaches and then misbehaves: a warning, since the attach
 * itself is not refused.
 */
public final class DelveCompat implements Check {
    private final DelveLocator.Search search;
    private final DelveBinary.Result delve;

    /** {@code search} null: nobody looked for a Delve (the commands other than doctor and compat). */
    public DelveCompat(DelveLocator.Search search) {
        this.search = search;
        this.delve = search == null || search.found() == null ? null : DelveBinary.identify(search.found().path());
    }

    public String id() {
        return "delve.compat";
    }

    public Finding evaluate(TracerFacts tracer, TargetFacts target) {
        Finding.Builder f = Finding.of(id());
        if (search == null) {
            return f.skip("no Delve named (--dlv PATH)");
        }
        if (search.goExtension() != null) {
            f.evidence("goExtension", search.goExtension());
        }
        if (search.found() == null) {
            return f.evidence("lookedIn", search.looked())
                    .skip("no Delve named (--dlv PATH) or found; looked in: " + String.join("; ", search.looked()));
        }
        f.evidence("dlv", search.found().path().toString()).evidence("foundIn", search.found().foundIn());
        if (delve.delve() == null) {
            return f.evidence("error", delve.problem()).warn("cannot tell which Delve this is: " + delve.problem(), null);
        }
        f.evidence("delveVersion", delve.delve().version()).evidence("versionFrom", delve.delve().source());
        // A Delve found rather than named says which, so the reader knows what VS Code would run.
        String name = "Delve " + delve.delve().version() + (search.named() ? ""
                : " (" + search.found().path() + ", from " + search.found().foundIn() + ")");
        if (target == null || target.binary().buildInfo().isEmpty()) {
            return f.skip(name + "; no target Go version to compare");
        }
        Compat c = Compat.evaluate(target.binary().buildInfo().get().goVersion(), target.binary().hasDwarf(),
                target.binary().dwarfVersion(), delve,
                DelveTable.load(), null);
        f.evidence("goVersion", c.goVersion());
        if (c.delveRange() != null) {
            f.evidence("delveRange", c.delveRange()[0] + ".." + c.delveRange()[1]);
        }
        if (c.supported() == null) {
            return f.warn(name + ": its supported Go range is not known here", c.remedy());
        }
        if (!c.debugInfo()) {
            return f.evidence("delveError", c.delveError()).warn("no Delve can debug this binary: it has no DWARF (Delve "
                    + delve.delve().version() + " stops at \"" + c.delveError() + "\")", c.remedy());
        }
        if (!c.supported()) {
            return f.evidence("delveError", c.delveError()).warn(
                    name + " does not support " + c.goVersion()
                            + ": it attaches, then misbehaves (it checks only on launch: \"" + c.delveError() + "\")", c.remedy());
        }
        return f.pass(name + " supports " + c.goVersion());
    }
}
