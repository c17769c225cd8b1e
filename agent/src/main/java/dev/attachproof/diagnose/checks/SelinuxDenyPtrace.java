package dev.attachproof.diagnose.checks;

import dev.attachproof.diagnose.Check;
import dev.attachproof.diagnose.Finding;
import dev.attachproof.diagnose.TargetFacts;
import dev.attachproof.diagnose.TracerFacts;
import dev.attachproof.procfs.FileRead;
import dev.attachproof.procfs.SelinuxBoolean;

import java.util.Optional;

/**
 * selinux.deny_ptrace: Fedora's and RHEL's SELinux policy has a boolean, deny_ptrace, that takes
 * the process:ptrace permission from every domain, unconfined_t and root's included ("Deny all
 * processes the ability to ptrace other processes"): with it on, selinux_ptrace_access_check
 * (security/selinux/hooks.c) refuses every attach with EACCES, whatever the capabilities. selinuxfs
 * shows it as /sys/fs/selinux/booleans/deny_ptrace, "CURRENT PENDING"; /sys/fs/selinux/enforce
 * "0" (permissive) logs the denial and allows the attach. A domain made permissive on its own
 * (semanage permissive -a) is not shown there. Each side's context is /proc/PID/attr/current.
 */
public final class SelinuxDenyPtrace implements Check {
    private static final String FILE = "/sys/fs/selinux/booleans/deny_ptrace";
    /** What this check was proven on, said in its evidence: no SELinux kernel was at hand. */
    static final String TESTED = "tested on /proc and /sys trees written in selinuxfs's format, not proven on a live SELinux kernel";

    public String id() {
        return "selinux.deny_ptrace";
    }

    public Finding evaluate(TracerFacts tracer, TargetFacts target) {
        Finding.Builder f = Finding.of(id()).evidence("file", FILE);
        FileRead bool = tracer.lsmSwitches().selinuxDenyPtrace();
        Optional<String> ours = tracer.label().filter(SelinuxDenyPtrace::isContext);
        if (bool instanceof FileRead.Missing) {
            if (ours.isEmpty()) {
                return f.evidence("deny_ptrace", "absent").pass("no SELinux deny_ptrace boolean here (SELinux is not enabled, or its policy has none)");
            }
            return f.evidence("deny_ptrace", "absent").evidence("tracerContext", ours.get()).evidence("tested", TESTED)
                    .warn("SELinux labels us '" + ours.get() + "', but /sys/fs/selinux is not visible here (a container?): whether "
                                    + "deny_ptrace refuses every ptrace cannot be read",
                            "on the host: getsebool deny_ptrace; if on, setsebool -P deny_ptrace 0");
        }
        f.evidence("tested", TESTED);
        ours.ifPresent(c -> f.evidence("tracerContext", c));
        if (target != null) {
            target.label().filter(SelinuxDenyPtrace::isContext).ifPresent(c -> f.evidence("targetContext", c));
        }
        if (!(bool instanceof FileRead.Content c)) {
            String why = ((FileRead.Unreadable) bool).reason();
            return f.evidence("deny_ptrace", "unreadable: " + why)
                    .warn("SELinux's deny_ptrace boolean cannot be read here (" + why + ")",
                            "getsebool deny_ptrace (as root); if on, setsebool -P deny_ptrace 0");
        }
        Optional<SelinuxBoolean> value = SelinuxBoolean.parse(c.text());
        f.evidence("deny_ptrace", c.text().strip());
        if (value.isEmpty()) {
            return f.warn("deny_ptrace reads '" + c.text().strip() + "', not selinuxfs's \"CURRENT PENDING\"", null);
        }
        FileRead enforce = tracer.lsmSwitches().selinuxEnforce();
        String mode = enforce.asText().map(String::strip).orElse("unknown");
        f.evidence("enforce", mode);
        boolean on = value.get().current();
        String pending = value.get().pending() == on ? ""
                : "; a value of " + (value.get().pending() ? 1 : 0) + " is pending, which the next commit of booleans applies";
        if (!on) {
            return value.get().pending()
                    ? f.warn("deny_ptrace is off now" + pending + ": then every ptrace is refused", "keep it off: setsebool -P deny_ptrace 0")
                    : f.pass("deny_ptrace is off: the policy's own rules decide ptrace between domains (see lsm)");
        }
        if (mode.equals("0")) {
            return f.warn("deny_ptrace is on, but SELinux is permissive (/sys/fs/selinux/enforce 0): the denial is logged, the attach allowed" + pending,
                    "before enforcing mode is set again: setsebool -P deny_ptrace 0");
        }
        return f.evidence("errno", "EACCES").fail("deny_ptrace is on: SELinux's policy refuses every ptrace attach, root's and "
                        + "CAP_SYS_PTRACE's included" + pending,
                "setsebool -P deny_ptrace 0 (as root on the host; -P keeps it across reboots; a container cannot change it)");
    }

    /** An SELinux context: user:role:type, then an optional MLS level. */
    static boolean isContext(String label) {
        return label.matches("^[^:\\s()]+:[^:\\s()]+:[^:\\s()]+(:.*)?$");
    }
}
