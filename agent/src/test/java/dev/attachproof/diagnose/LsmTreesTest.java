package dev.attachproof.diagnose;

import dev.attachproof.diagnose.checks.Lsm;
import dev.attachproof.procfs.SelinuxBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import static dev.attachproof.diagnose.RecordedTreesTest.finding;
import static dev.attachproof.diagnose.RecordedTreesTest.predict;
import static dev.attachproof.diagnose.RecordedTreesTest.targets;
import static dev.attachproof.diagnose.RecordedTreesTest.treesRoot;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The lsm and selinux.deny_ptrace checks on a /proc tree recorded on Debian's kernel (yama-0-user:
 * uid 1000 recorder and targets, ptrace_scope 0, both attaches observed to work, AppArmor on and
 * every label "unconfined"), with the files an LSM would change written over it: the labels in
 * /proc/PID/attr, AppArmor's switch in /sys/module, selinuxfs's enforce and deny_ptrace. The
 * labels are written as the kernel prints them (YamaKernelTest's AppArmor cases read the same
 * files on the same kernel with real profiles loaded); no SELinux kernel was at hand, so its
 * files follow selinuxfs's format (security/selinux/selinuxfs.c) and nothing here is an
 * observed SELinux answer.
 */
class LsmTreesTest {
    private static final String TREE = "yama-0-user";
    private static final String DOCKER = "docker-default (enforce)";
    private static final String CONTAINERD = "cri-containerd.apparmor.d (enforce)";

    @TempDir
    Path dir;

    /** A fresh copy of the recorded tree (symlinks as symlinks), so that files can be written over it. */
    private Path tree() throws IOException {
        Path from = treesRoot().resolve(TREE);
        Path to = Files.createTempDirectory(dir, TREE);
        try (Stream<Path> files = Files.walk(from)) {
            for (Path p : files.toList()) {
                Path q = to.resolve(from.relativize(p).toString());
                if (p.equals(from)) {
                    continue;
                }
                if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    Files.createDirectories(q);
                } else {
                    Files.copy(p, q, StandardCopyOption.COPY_ATTRIBUTES, LinkOption.NOFOLLOW_LINKS);
                }
            }
        }
        return to;
    }

    private static int self(Path tree) throws IOException {
        return Integer.parseInt(Files.readSymbolicLink(tree.resolve("proc/self")).toString());
    }

    private static int target(Path tree) throws IOException {
        return targets(tree).get("user");
    }

    private static void write(Path tree, String path, String text) throws IOException {
        Path p = tree.resolve(path);
        Files.createDirectories(p.getParent());
        Files.writeString(p, text);
    }

    /** AppArmor on, with each side's label as /proc/PID/attr/apparmor/current and attr/current show it. */
    private Path appArmor(String tracerLabel, String targetLabel) throws IOException {
        Path tree = tree();
        write(tree, "sys/module/apparmor/parameters/enabled", "Y\n");
        for (Map.Entry<Integer, String> side : Map.of(self(tree), tracerLabel, target(tree), targetLabel).entrySet()) {
            write(tree, "proc/" + side.getKey() + "/attr/apparmor/current", side.getValue() + "\n");
            write(tree, "proc/" + side.getKey() + "/attr/current", side.getValue() + "\n");
        }
        return tree;
    }

    private static Diagnosis diagnose(Path tree) throws IOException {
        return predict(tree, target(tree));
    }

    /** The finding of {@code check} once {@code file} is gone from the tree (not mounted, or not shown). */
    private static Finding without(Path tree, String file, String check) throws IOException {
        Files.delete(tree.resolve(file));
        return finding(diagnose(tree), check);
    }

    private static List<String> failing(Diagnosis d) {
        return d.failing().stream().map(Finding::id).toList();
    }

    @Test
    void theRecordedTreeIsUnconfinedAndAttachable() throws Exception {
        Diagnosis d = diagnose(tree());
        Finding lsm = finding(d, "lsm");
        assertEquals("unconfined", lsm.evidence().get("tracerLabel"));
        assertEquals(List.of(), failing(d));
        assertEquals(Verdict.ATTACHABLE, d.predicted());
        assertEquals("absent", finding(d, "selinux.deny_ptrace").evidence().get("deny_ptrace"));
        assertEquals(Status.PASS, finding(d, "selinux.deny_ptrace").status());
    }

    /** The sidecar case: a debugger under docker-default, the target a host process. */
    @Test
    void dockerDefaultCannotTraceAnUnconfinedProcess() throws Exception {
        Diagnosis d = diagnose(appArmor(DOCKER, "unconfined"));
        Finding lsm = finding(d, "lsm");
        assertEquals(Status.FAIL, lsm.status(), lsm.toString());
        assertEquals(List.of("lsm"), failing(d));
        assertEquals(Verdict.NOT_ATTACHABLE, d.predicted());
        assertEquals("EACCES", lsm.evidence().get("errno"));
        assertEquals(List.of("the tracer's profile 'docker-default' needs `ptrace (trace) peer=unconfined`"), lsm.evidence().get("deniedBy"));
        assertFalse(lsm.evidence().containsKey("rules"), "docker-default's rules are known: " + lsm);
        assertTrue(lsm.remedy().contains("--security-opt apparmor=unconfined"), lsm.remedy());
        assertTrue(lsm.remedy().contains("appArmorProfile: {type: Unconfined}"), lsm.remedy());
        assertTrue(lsm.remedy().contains("aa-complain"), lsm.remedy());
        assertSame(lsm, new Lsm().afterAttach(lsm), "a known profile's denial is not a prediction for the attach to settle");
    }

    @Test
    void theSameContainerProfileOnBothSidesAllows() throws Exception {
        Diagnosis d = diagnose(appArmor(DOCKER, DOCKER));
        Finding lsm = finding(d, "lsm");
        assertEquals(Status.PASS, lsm.status(), lsm.toString());
        assertEquals(Verdict.ATTACHABLE, d.predicted());
        assertEquals("docker-default (enforce)", lsm.evidence().get("tracerProfile"));
    }

    @Test
    void twoContainerProfilesDenyOnBothSides() throws Exception {
        Finding lsm = finding(diagnose(appArmor(DOCKER, CONTAINERD)), "lsm");
        assertEquals(Status.FAIL, lsm.status(), lsm.toString());
        assertEquals(List.of("the tracer's profile 'docker-default' needs `ptrace (trace) peer=cri-containerd.apparmor.d`",
                "the target's profile 'cri-containerd.apparmor.d' needs `ptrace (tracedby) peer=docker-default`"), lsm.evidence().get("deniedBy"));
        assertTrue(((String) lsm.evidence().get("knownProfiles")).contains("containerd's default profile"), lsm.toString());
    }

    /** An unconfined tracer passes both sides (profile_tracee_perm lets it in whatever the target's profile). */
    @Test
    void anUnconfinedTracerAttachesIntoAContainerProfile() throws Exception {
        Diagnosis d = diagnose(appArmor("unconfined", DOCKER));
        Finding lsm = finding(d, "lsm");
        assertFalse(lsm.status() == Status.FAIL, lsm.toString());
        assertTrue(((String) lsm.evidence().get("appArmor")).startsWith("allows: we are unconfined"), lsm.toString());
        assertEquals(Verdict.ATTACHABLE, d.predicted());
    }

    /** A profile whose rules /proc does not show: predicted from the labels, settled by the attach. */
    @Test
    void anUnknownProfileIsPredictedFromLabelsAndTheAttachDecides() throws Exception {
        Diagnosis d = diagnose(appArmor("debugger (enforce)", "unconfined"));
        Finding lsm = finding(d, "lsm");
        assertEquals(Status.FAIL, lsm.status(), lsm.toString());
        assertEquals("not shown in /proc: predicted from the labels; the attach decides", lsm.evidence().get("rules"));
        assertTrue(lsm.summary().contains("the attach decides"), lsm.summary());
        Finding settled = new Lsm().afterAttach(lsm);
        assertEquals(Status.PASS, settled.status(), settled.toString());
        assertFalse(settled.evidence().containsKey("errno"), settled.toString());
        assertEquals("proven by the attach: the profiles' ptrace rules allow it", settled.evidence().get("rules"));
    }

    @Test
    void anUnknownProfileOnBothSidesIsLikelyAllowed() throws Exception {
        Diagnosis d = diagnose(appArmor("myapp (enforce)", "myapp (enforce)"));
        assertEquals(Status.WARN, finding(d, "lsm").status(), finding(d, "lsm").toString());
        assertEquals(Verdict.ATTACHABLE, d.predicted());
    }

    @Test
    void complainModeLogsAndAllows() throws Exception {
        Finding lsm = finding(diagnose(appArmor("docker-default (complain)", "unconfined")), "lsm");
        assertEquals(Status.PASS, lsm.status(), lsm.toString());
        assertTrue(lsm.summary().contains("complain"), lsm.summary());
    }

    /** docker-default denies /sys/kernel/security/**: the labels and /sys/module still tell. */
    @Test
    void withoutSecurityfsTheLabelsStillDecide() throws Exception {
        Finding lsm = without(appArmor(DOCKER, "unconfined"), "sys/kernel/security/lsm", "lsm");
        assertEquals(Status.FAIL, lsm.status(), lsm.toString());
        assertEquals("Y", lsm.evidence().get("appArmorEnabled"));
        assertTrue(((String) lsm.evidence().get("lsms")).startsWith("absent"), lsm.toString());
    }

    // SELinux: Fedora's and RHEL's deny_ptrace boolean, in selinuxfs's format.

    private Path selinux(String denyPtrace, String enforce) throws IOException {
        Path tree = tree();
        write(tree, "sys/kernel/security/lsm", "lockdown,capability,yama,selinux,bpf");
        for (int pid : List.of(self(tree), target(tree))) {
            Files.delete(tree.resolve("proc/" + pid + "/attr/apparmor/current"));
            write(tree, "proc/" + pid + "/attr/current", "unconfined_u:unconfined_r:unconfined_t:s0-s0:c0.c1023\0");
        }
        write(tree, "sys/fs/selinux/enforce", enforce);
        if (denyPtrace != null) {
            write(tree, "sys/fs/selinux/booleans/deny_ptrace", denyPtrace);
        }
        return tree;
    }

    @Test
    void denyPtraceOnRefusesEveryAttach() throws Exception {
        Diagnosis d = diagnose(selinux("1 1", "1"));
        Finding deny = finding(d, "selinux.deny_ptrace");
        assertEquals(Status.FAIL, deny.status(), deny.toString());
        assertEquals(List.of("selinux.deny_ptrace"), failing(d));
        assertEquals(Verdict.NOT_ATTACHABLE, d.predicted());
        assertEquals("EACCES", deny.evidence().get("errno"));
        assertEquals("1 1", deny.evidence().get("deny_ptrace"));
        assertEquals("unconfined_u:unconfined_r:unconfined_t:s0-s0:c0.c1023", deny.evidence().get("tracerContext"));
        assertEquals("unconfined_u:unconfined_r:unconfined_t:s0-s0:c0.c1023", deny.evidence().get("targetContext"));
        assertTrue(((String) deny.evidence().get("tested")).contains("not proven on a live SELinux kernel"), deny.toString());
        assertTrue(deny.remedy().startsWith("setsebool -P deny_ptrace 0"), deny.remedy());
        Finding lsm = finding(d, "lsm");
        assertEquals(Status.WARN, lsm.status(), lsm.toString());
        assertTrue(lsm.summary().startsWith("SELinux labels us 'unconfined_u:"), lsm.summary());
    }

    /**
     * The boolean's current value decides, unless SELinux is permissive (it logs, allows); a
     * pending value that differs is named. Each row: deny_ptrace, enforce, the check's status,
     * what the doctor predicts, and a word its summary must hold.
     */
    @ParameterizedTest(name = "deny_ptrace \"{0}\", enforce {1}: {2}")
    @CsvSource({
            "0 0, 1, PASS, ATTACHABLE, off",
            "1 1, 0, WARN, ATTACHABLE, permissive",
            "0 1, 1, WARN, ATTACHABLE, pending",
            "1 0, 1, FAIL, NOT_ATTACHABLE, pending",
    })
    void theCurrentValueAndTheModeDecide(String denyPtrace, String enforce, Status status, Verdict predicted, String word)
            throws Exception {
        Diagnosis d = diagnose(selinux(denyPtrace, enforce));
        Finding deny = finding(d, "selinux.deny_ptrace");
        assertEquals(status, deny.status(), deny.toString());
        assertEquals(predicted, d.predicted(), () -> d.findings().toString());
        assertEquals(enforce, deny.evidence().get("enforce"));
        assertTrue(deny.summary().contains(word), deny.summary());
    }

    /** In a container selinuxfs is not mounted: the context shows, the boolean does not. */
    @Test
    void aContextWithoutSelinuxfsWarns() throws Exception {
        Finding deny = without(selinux(null, "1"), "sys/fs/selinux/enforce", "selinux.deny_ptrace");
        assertEquals(Status.WARN, deny.status(), deny.toString());
        assertTrue(deny.remedy().contains("getsebool deny_ptrace"), deny.remedy());
    }

    @Test
    void selinuxfsBooleansParse() {
        assertEquals(Optional.of(new SelinuxBoolean(true, true)), SelinuxBoolean.parse("1 1"));
        assertEquals(Optional.of(new SelinuxBoolean(false, true)), SelinuxBoolean.parse("0 1\n"));
        assertEquals(Optional.empty(), SelinuxBoolean.parse("on"));
        assertEquals("1 0", new SelinuxBoolean(true, false).text());
    }
}
