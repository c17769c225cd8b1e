package dev.attachproof.diagnose.checks;

import dev.attachproof.procfs.ProcStatus;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Where CAP_SYS_PTRACE is missing from, for the status lines of the three cases execve's rules
 * tell apart (the recorded trees show the first two; the third is root under SECBIT_NOROOT or
 * after a capset, which no tree holds).
 */
class SysPtraceGrantTest {
    private static final String ADD = "add it";

    @Test
    void theGapIsReadFromTheBoundingSetAndTheUid() {
        SysPtraceGrant notBounded = grant(1000, "0", "0", "0", "a80425fb", "0");
        assertEquals(SysPtraceGrant.Gap.NOT_IN_BOUNDING, notBounded.gap());
        assertEquals(ADD, notBounded.remedy(ADD));

        SysPtraceGrant boundingOnly = grant(1000, "0", "0", "0", "1fffeffffff", "0");
        assertEquals(SysPtraceGrant.Gap.BOUNDING_ONLY_NOT_ROOT, boundingOnly.gap());
        assertTrue(boundingOnly.remedy(ADD).contains("lacks it in its permitted and inheritable sets"), boundingOnly.remedy(ADD));

        // Permitted and inheritable but not effective: this process could raise the ambient capability itself.
        SysPtraceGrant raisable = grant(1000, "80000", "80000", "0", "1fffeffffff", "0");
        assertTrue(raisable.remedy(ADD).contains("could raise it itself"), raisable.remedy(ADD));

        SysPtraceGrant dropped = grant(0, "0", "0", "0", "1fffeffffff", "0");
        assertEquals(SysPtraceGrant.Gap.DROPPED_BY_ROOT, dropped.gap());
        assertTrue(dropped.remedy(ADD).contains("start the debugger as root without dropping it"), dropped.remedy(ADD));
    }

    private static SysPtraceGrant grant(int uid, String inh, String prm, String eff, String bnd, String amb) {
        return new SysPtraceGrant(ProcStatus.parse(String.format("Uid:\t%d\t%d\t%d\t%d%nCapInh:\t%s%nCapPrm:\t%s%nCapEff:\t%s%nCapBnd:\t%s%nCapAmb:\t%s%n",
                uid, uid, uid, uid, inh, prm, eff, bnd, amb)));
    }
}
