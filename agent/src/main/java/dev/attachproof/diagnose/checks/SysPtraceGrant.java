package dev.attachproof.diagnose.checks;

import dev.attachproof.diagnose.Finding;
import dev.attachproof.linux.LinuxConstants;
import dev.attachproof.procfs.ProcStatus;

import java.util.ArrayList;
import java.util.List;

/**
 * What gives CAP_SYS_PTRACE to a debugger started as this process was, read from where the
 * capability stands in its five sets (/proc/self/status). execve's rules (capabilities(7),
 * "Transformation of capabilities during execve()"; security/commoncap.c,
 * cap_bprm_creds_from_file): P'(permitted) = (P(inheritable) &amp; F(inheritable)) | (F(permitted)
 * &amp; P(bounding)) | P'(ambient), and the effective set is P'(permitted) for a file with the
 * effective bit, P'(ambient) otherwise. handle_privileged_root treats a process whose real or
 * effective uid is 0 as if its file held every capability, so root gets the whole bounding set.
 * Adding the capability to a container (docker --cap-add, Kubernetes capabilities.add) puts it
 * in the bounding set: root then holds it, a non-root user gets nothing from it at exec.
 */
final class SysPtraceGrant {
    private static final long BIT = 1L << LinuxConstants.CAP_SYS_PTRACE;

    /** Where CAP_SYS_PTRACE is missing from. */
    enum Gap {
        /** Not even in the bounding set: nothing started here can get it; it must be added. */
        NOT_IN_BOUNDING,
        /** In the bounding set, but this process is not root: exec gives a non-root uid no capability. */
        BOUNDING_ONLY_NOT_ROOT,
        /** In the bounding set, root, but dropped from the effective set by whatever started us. */
        DROPPED_BY_ROOT
    }

    private final ProcStatus status;

    SysPtraceGrant(ProcStatus status) {
        this.status = status;
    }

    Gap gap() {
        if ((status.capBnd().orElse(0) & BIT) == 0) {
            return Gap.NOT_IN_BOUNDING;
        }
        return status.uids().real() == 0 || status.uids().effective() == 0 ? Gap.DROPPED_BY_ROOT : Gap.BOUNDING_ONLY_NOT_ROOT;
    }

    /** The four other sets, as the kernel prints them, and the ones that hold CAP_SYS_PTRACE. */
    Finding.Builder evidence(Finding.Builder f) {
        List<String> holding = new ArrayList<>();
        for (String set : List.of("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")) {
            long mask = mask(set);
            if (!set.equals("CapEff")) {
                f.evidence(set, String.format("%016x", mask));
            }
            if ((mask & BIT) != 0) {
                holding.add(set);
            }
        }
        return f.evidence("sysPtraceIn", holding);
    }

    /**
     * The remedy for a CAP_SYS_PTRACE that is not effective here; {@code added} is the remedy
     * for a capability the container lacks altogether (adding it), which is right only then.
     */
    String remedy(String added) {
        int uid = status.uids().effective();
        return switch (gap()) {
            case NOT_IN_BOUNDING -> added;
            case DROPPED_BY_ROOT -> "CAP_SYS_PTRACE is in the bounding set but was dropped from this process's effective set "
                    + "(by setpriv, capsh or the program that started it): start the debugger as root without dropping it";
            case BOUNDING_ONLY_NOT_ROOT -> "CAP_SYS_PTRACE is already in the bounding set (--cap-add / capabilities.add did that), "
                    + "but uid " + uid + " is not root and gets no capability from exec: adding it again changes nothing. "
                    + "Run the debugger as root (docker run --user 0; Kubernetes runAsUser: 0), or give the debugger's binary "
                    + "file capabilities (setcap cap_sys_ptrace+ep /path/to/dlv)" + fileCapsCaveat()
                    + ", or have a root parent start it as uid " + uid + " with an ambient CAP_SYS_PTRACE (setpriv --reuid=" + uid
                    + " --inh-caps=+sys_ptrace --ambient-caps=+sys_ptrace -- dlv ...: an ambient capability must be in the "
                    + "permitted and inheritable sets, " + ambientState() + "; Kubernetes sets no ambient capabilities)";
        };
    }

    private String fileCapsCaveat() {
        return status.noNewPrivs().orElse(0) == 1 ? " (not here: no_new_privs is set, and exec then ignores file capabilities; see nonewprivs)" : "";
    }

    private String ambientState() {
        boolean prm = (mask("CapPrm") & BIT) != 0;
        boolean inh = (mask("CapInh") & BIT) != 0;
        List<String> lacking = new ArrayList<>();
        if (!prm) {
            lacking.add("permitted");
        }
        if (!inh) {
            lacking.add("inheritable");
        }
        return lacking.isEmpty() ? "as it is here, so this process could raise it itself"
                : "and this process lacks it in its " + String.join(" and ", lacking) + " set" + (lacking.size() > 1 ? "s" : "");
    }

    private long mask(String set) {
        return switch (set) {
            case "CapInh" -> status.capInh().orElse(0);
            case "CapPrm" -> status.capPrm().orElse(0);
            case "CapEff" -> status.capEff().orElse(0);
            case "CapBnd" -> status.capBnd().orElse(0);
            case "CapAmb" -> status.capAmb().orElse(0);
            default -> throw new IllegalArgumentException(set);
        };
    }
}
