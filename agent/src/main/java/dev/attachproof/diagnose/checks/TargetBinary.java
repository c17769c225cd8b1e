package dev.attachproof.diagnose.checks;

import dev.attachproof.buildinfo.GoExecutable;
import dev.attachproof.diagnose.BinaryFacts;
import dev.attachproof.diagnose.Check;
import dev.attachproof.diagnose.ExePath;
import dev.attachproof.diagnose.Finding;
import dev.attachproof.diagnose.KernelRules;
import dev.attachproof.diagnose.TargetFacts;
import dev.attachproof.diagnose.TracerFacts;

/**
 * target.binary: a debugger needs the executable the process runs. /proc/PID/exe reaches it
 * even when it was deleted, replaced or lives in another mount namespace; a tool that opens the
 * path instead reads nothing, or the wrong file. "Replaced" is decided in the namespace the path
 * belongs to: the target's, through /proc/PID/root, when it has a mount namespace of its own.
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
        if (KernelRules.kernelThread(target)) {
            // Its /proc/PID/exe is empty (ENOENT): no mm, no file, not a permission matter.
            return f.skip("a kernel thread: it runs no executable (see target.state)");
        }
        if ("not recorded".equals(b.readError())) {
            return f.skip("the executable is not part of a recorded tree");
        }
        if (!b.readable()) {
            // Only EACCES is the kernel's ptrace read check on /proc/PID/exe (proc_exe_link,
            // proc_fd_access_allowed); ENOENT is a process without an executable or gone.
            return f.evidence("error", b.readError()).warn("cannot read the executable through /proc/" + target.pid() + "/exe (" + b.readError() + ")",
                    "EACCES".equals(b.readError()) ? "reading it takes ptrace read access, as attaching does: see the failing checks" : null);
        }
        ExePath path = b.pathState();
        String pid = Integer.toString(target.pid());
        f.evidence("pathHere", path.here()).evidence("pathInTarget", path.inTarget());
        if (path.readFrom() != null) {
            f.evidence("readFrom", path.readFrom());
        }
        if (b.format().damage() != null) {
            return f.evidence("damage", b.format().damage()).warn(b.damageCause(), GoExecutable.DAMAGED_REMEDY);
        }
        // Which namespace the path was read in, said in every summary that depends on it.
        String where = path.otherNamespace() ? " in the target's mount namespace (read through " + path.readFrom() + ")" : "";
        String there = path.otherNamespace() ? path.inTarget() : path.here();
        if (there.equals("deleted")) {
            return f.warn("the executable was deleted after the process started (a redeploy or an upgrade?)",
                    "tools that open the path fail; attachproof and Delve (dlv attach) read /proc/" + pid + "/exe and still work");
        }
        if (there.equals("replaced")) {
            return f.warn("the file now at " + b.linkText() + where + " is not the one running (replaced since start): "
                    + "symbols read from the path would be wrong", "point tools at /proc/" + pid + "/exe, not the path");
        }
        if (path.otherNamespace() && path.here().equals("replaced")) {
            return f.warn(b.linkText() + " is the running file" + where + ", but another file in ours: "
                    + "the target runs in a mount namespace of its own (a container?)",
                    "tools run here must read /proc/" + pid + "/exe (dlv attach does), not the path; "
                    + "copy it out with cp /proc/" + pid + "/exe for offline tools");
        }
        if (path.here().equals("missing") || there.equals("missing")) {
            return f.warn(b.linkText() + " is not visible in our mount namespace (a sidecar or another container?)"
                    + (path.inTarget().equals("same") ? "; it is the running file" + where : ""),
                    "read the binary through /proc/" + pid + "/exe (dlv attach does); copy it out with cp /proc/" + pid + "/exe for offline tools");
        }
        return f.pass("readable through /proc/" + pid + "/exe"
                + (there.equals("same") ? ", and the same file as " + b.linkText() + where : ""));
    }
}
