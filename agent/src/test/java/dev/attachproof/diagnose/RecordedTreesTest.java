package dev.attachproof.diagnose;

import dev.attachproof.diagnose.checks.TargetTraced;
import dev.attachproof.diagnose.checks.YamaPtraceScope;
import dev.attachproof.linux.Errno;
import dev.attachproof.procfs.ProcFs;
import dev.attachproof.ptrace.StopMode;
import dev.attachproof.testing.GoFixture;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The decision logic on /proc trees recorded from real systems (see
 * containers/proc-recorder). Each tree's SCENARIO.txt says what the kernel answered when the
 * recorder's credentials tried PTRACE_SEIZE on each target ({@code observed PID=… tryattach=…});
 * the checks, reading only the tree, must predict the same, and name a cause for every refusal.
 */
class RecordedTreesTest {
    private static final Pattern OBSERVED = Pattern.compile("^observed PID=(\\d+)(?: tracer=(\\S+))? tryattach=(\\S+)", Pattern.MULTILINE);

    record Observation(Path tree, int pid, String outcome) {}

    @TestFactory
    Stream<DynamicTest> everyRecordedOutcomeIsPredicted() throws Exception {
        List<Observation> all = new ArrayList<>();
        try (Stream<Path> trees = Files.list(treesRoot())) {
            for (Path tree : trees.sorted().toList()) {
                Path scenario = tree.resolve("SCENARIO.txt");
                if (!Files.exists(scenario)) {
                    continue;
                }
                Matcher m = OBSERVED.matcher(Files.readString(scenario));
                while (m.find()) {
                    if (m.group(2) == null || m.group(2).equals("self")) {
                        all.add(new Observation(tree, Integer.parseInt(m.group(1)), m.group(3)));
                    }
                }
            }
        }
        assertFalse(all.isEmpty(), "no recorded observations found under " + treesRoot());
        return all.stream().map(o -> DynamicTest.dynamicTest(o.tree().getFileName() + " pid " + o.pid() + " -> " + o.outcome(), () -> {
            Diagnosis d = predict(o.tree(), o.pid());
            Verdict expected = o.outcome().equals("ok") ? Verdict.ATTACHABLE : Verdict.NOT_ATTACHABLE;
            if (expected == Verdict.ATTACHABLE && Integer.valueOf(o.pid()).equals(targets(o.tree()).get("ptracer"))
                    && d.predicted() == Verdict.NOT_ATTACHABLE) {
                // The target named its tracer with PR_SET_PTRACER, which /proc does not show: Yama
                // alone is blamed, and says that this exception may apply (the proof settles it).
                assertEquals(List.of("yama.ptrace_scope"), d.failing().stream().map(Finding::id).toList());
                assertTrue(d.failing().getFirst().summary().contains("PR_SET_PTRACER"), d.failing().getFirst().summary());
                return;
            }
            assertEquals(expected, d.predicted(), () -> "findings: " + d.findings());
            if (expected == Verdict.NOT_ATTACHABLE) {
                assertFalse(d.failing().isEmpty(), "a refusal must be explained by a failing check");
                for (Finding f : d.failing()) {
                    if (f.evidence().containsKey("errno")) {
                        assertEquals(o.outcome(), f.evidence().get("errno"), f.toString());
                    }
                }
            }
        }));
    }

    @Test
    void hostRootDetailsAreRight() throws Exception {
        Path host = treesRoot().resolve("host");
        Map<String, Integer> pids = targets(host);
        Diagnosis traced = predict(host, pids.get("traced"));
        Finding t = finding(traced, "target.traced");
        assertEquals(Status.FAIL, t.status());
        assertEquals("strace", t.evidence().get("tracer"));

        Diagnosis nonDumpable = predict(host, pids.get("non-dumpable"));
        Finding dump = finding(nonDumpable, "target.dumpable");
        assertEquals(Status.PASS, dump.status(), "root's CAP_SYS_PTRACE overrides: " + dump);
        assertEquals("0:0", dump.evidence().get("owner"));
        assertTrue(dump.summary().contains("not dumpable"), dump.summary());

        Finding yama = finding(nonDumpable, "yama.ptrace_scope");
        assertEquals(Status.PASS, yama.status());
        assertEquals("absent", yama.evidence().get("ptrace_scope"));
        assertEquals(Status.WARN, finding(nonDumpable, "lsm").status(), "securityfs is not mounted there");
    }

    @Test
    void hostNobodyDetailsAreRight() throws Exception {
        Path tree = treesRoot().resolve("host-nobody");
        Map<String, Integer> pids = targets(tree);
        Diagnosis rootTarget = predict(tree, pids.get("root"));
        assertEquals(Status.FAIL, finding(rootTarget, "credentials.uid").status());
        // A root target also holds capabilities we lack (commoncap's permitted-subset rule): two
        // causes apply, each alone enough, and both are named.
        Finding cap = finding(rootTarget, "capability.sys_ptrace");
        assertEquals(Status.FAIL, cap.status());
        assertTrue(((List<?>) cap.evidence().get("capsTargetHoldsWeLack")).contains("CAP_SYS_PTRACE"), cap.toString());
        assertEquals(List.of("credentials.uid", "capability.sys_ptrace"), rootTarget.failing().stream().map(Finding::id).toList());
        assertEquals("65534/65534/65534", finding(rootTarget, "credentials.uid").evidence().get("tracerUid"));

        Diagnosis nonDumpable = predict(tree, pids.get("non-dumpable"));
        assertEquals(Status.PASS, finding(nonDumpable, "credentials.uid").status());
        assertEquals(Status.FAIL, finding(nonDumpable, "target.dumpable").status());
        assertEquals(List.of("target.dumpable"), nonDumpable.failing().stream().map(Finding::id).toList());
    }

    @Test
    void dockerDefaultLacksCapSysPtraceAndFiltersProcessVmReadv() throws Exception {
        Path tree = treesRoot().resolve("docker-default");
        Map<String, Integer> pids = targets(tree);
        Diagnosis other = predict(tree, pids.get("user"));
        assertEquals(Status.WARN, finding(other, "capability.sys_ptrace").status());
        assertEquals(List.of("credentials.uid"), other.failing().stream().map(Finding::id).toList());
        // Docker's default profile allows process_vm_readv only to containers with CAP_SYS_PTRACE.
        Finding vm = finding(other, "seccomp.process_vm_readv");
        assertEquals(Status.WARN, vm.status());
        assertEquals("EPERM", vm.evidence().get("observed"));
        assertEquals(Status.PASS, finding(other, "seccomp.ptrace").status(), "ptrace itself is allowed (kernel >= 4.8)");
        assertEquals(Status.PASS, finding(predict(tree, pids.get("root")), "credentials.uid").status());
        assertTrue(finding(other, "namespace.pid").summary().contains("visible"), "containers have their own pid namespace");
    }

    @Test
    void dockerWithCapSysPtraceAttachesToOtherUsers() throws Exception {
        Path tree = treesRoot().resolve("docker-cap-sys-ptrace");
        Diagnosis other = predict(tree, targets(tree).get("user"));
        assertEquals(Status.PASS, finding(other, "capability.sys_ptrace").status());
        assertEquals(Status.PASS, finding(other, "seccomp.process_vm_readv").status());
        assertEquals(Verdict.ATTACHABLE, other.predicted());
    }

    @Test
    void dockerSeccompProfileDenyingPtraceIsTheCause() throws Exception {
        Path tree = treesRoot().resolve("docker-seccomp-deny-ptrace");
        Diagnosis root = predict(tree, targets(tree).get("root"));
        assertEquals(List.of("seccomp.ptrace"), root.failing().stream().map(Finding::id).toList());
        assertEquals("EPERM", finding(root, "seccomp.ptrace").evidence().get("errno"));
    }

    @Test
    void yamaScopesOnARealYamaKernel() throws Exception {
        Path one = treesRoot().resolve("yama-1-user");
        Diagnosis d = predict(one, targets(one).get("user"));
        Finding yama = finding(d, "yama.ptrace_scope");
        assertEquals(Status.FAIL, yama.status());
        assertEquals(1, yama.evidence().get("ptrace_scope"));
        assertEquals(false, yama.evidence().get("tracerIsAncestor"));
        assertEquals(List.of("yama.ptrace_scope"), d.failing().stream().map(Finding::id).toList(),
                "same uid, dumpable: Yama is the only cause");

        Path rootAtOne = treesRoot().resolve("yama-1-root");
        assertEquals(Status.PASS, finding(predict(rootAtOne, targets(rootAtOne).get("user")), "yama.ptrace_scope").status());

        Path two = treesRoot().resolve("yama-2-user");
        Diagnosis atTwo = predict(two, targets(two).get("ptracer"));
        assertEquals(Status.FAIL, finding(atTwo, "yama.ptrace_scope").status(), "PR_SET_PTRACER does not help at scope 2");

        Path three = treesRoot().resolve("yama-3-root");
        Finding noAttach = finding(predict(three, targets(three).get("user")), "yama.ptrace_scope");
        assertEquals(Status.FAIL, noAttach.status());
        assertTrue(noAttach.summary().startsWith("3 (no attach)"), noAttach.summary());

        Finding lsm = finding(d, "lsm");
        assertEquals(List.of("lockdown", "capability", "landlock", "yama", "apparmor", "tomoyo", "bpf"), lsm.evidence().get("lsms"));
    }

    @Test
    void anAttachThatWorkedAtScopeOneProvesThePtracerException() throws Exception {
        Path one = treesRoot().resolve("yama-1-user");
        Finding predicted = finding(predict(one, targets(one).get("ptracer")), "yama.ptrace_scope");
        assertEquals(Status.FAIL, predicted.status());
        assertEquals("unknown: not shown in /proc", predicted.evidence().get("ptracerNamedByTarget"));
        Finding settled = new YamaPtraceScope().afterAttach(predicted);
        assertEquals(Status.PASS, settled.status(), settled.toString());
        assertEquals("yes: proven by the attach", settled.evidence().get("ptracerNamedByTarget"));
        assertFalse(settled.evidence().containsKey("errno"), settled.toString());
        assertTrue(settled.summary().contains("PR_SET_PTRACER"), settled.summary());

        // Scope 2 has no such exception: an attach that worked there contradicts the check.
        Path two = treesRoot().resolve("yama-2-user");
        Finding atTwo = finding(predict(two, targets(two).get("ptracer")), "yama.ptrace_scope");
        assertSame(atTwo, new YamaPtraceScope().afterAttach(atTwo));
    }

    /**
     * Kernel threads, as /proc showed them on this machine (kthreadd and one of its children):
     * ptrace_attach refuses them for PF_KTHREAD, which target.state reads from /proc/PID/stat.
     * No other check fails, and none says the executable takes ptrace access to read (a kernel
     * thread has none).
     */
    @Test
    void kernelThreadsAreRefusedForWhatTheyAre() throws Exception {
        Path tree = treesRoot().resolve("host-kthreads");
        for (String role : List.of("kthreadd", "kthread")) {
            Diagnosis d = predict(tree, targets(tree).get(role));
            assertEquals(Verdict.NOT_ATTACHABLE, d.predicted(), () -> role + ": " + d.findings());
            assertEquals(List.of("target.state"), d.failing().stream().map(Finding::id).toList(), role);
            Finding state = finding(d, "target.state");
            assertEquals(true, state.evidence().get("kernelThread"), state.toString());
            assertEquals("0x00208040", state.evidence().get("flags"), state.toString());
            assertEquals(Status.SKIP, finding(d, "target.binary").status(), finding(d, "target.binary").toString());
            assertEquals(Status.SKIP, finding(d, "target.go").status());
        }
    }

    /**
     * The recorder of host-nobody ran as uid 65534 with every capability in its bounding set and
     * none in the others, as `docker run --user 1000 --cap-add SYS_PTRACE` leaves a debugger: the
     * capability was added, and adding it is no remedy. Docker's default set lacks it in the
     * bounding set too: there adding it is the remedy.
     */
    @Test
    void theCapabilityRemedyFollowsTheBoundingSetAndTheUid() throws Exception {
        Path nobody = treesRoot().resolve("host-nobody");
        Finding boundingOnly = finding(predict(nobody, targets(nobody).get("root")), "capability.sys_ptrace");
        assertEquals(Status.FAIL, boundingOnly.status(), boundingOnly.toString());
        assertEquals(List.of("CapBnd"), boundingOnly.evidence().get("sysPtraceIn"), boundingOnly.toString());
        assertEquals("000001fffeffffff", boundingOnly.evidence().get("CapBnd"));
        assertEquals("0000000000000000", boundingOnly.evidence().get("CapAmb"));
        assertTrue(boundingOnly.summary().contains("in the bounding set, but a non-root uid"), boundingOnly.summary());
        String remedy = boundingOnly.remedy();
        for (String way : List.of("runAsUser: 0", "--user 0", "setcap cap_sys_ptrace+ep", "--ambient-caps=+sys_ptrace",
                "lacks it in its permitted and inheritable sets", "Kubernetes sets no ambient capabilities")) {
            assertTrue(remedy.contains(way), way + " in: " + remedy);
        }
        assertFalse(remedy.contains("--cap-add=SYS_PTRACE"), remedy);
        assertFalse(remedy.contains("capabilities.add: [SYS_PTRACE]"), remedy);

        // The same uid under Yama scope 1: the capability is the remedy there too, and the same one.
        Path yama = treesRoot().resolve("yama-1-user");
        Finding yamaCap = finding(predict(yama, targets(yama).get("user")), "capability.sys_ptrace");
        assertEquals(Status.WARN, yamaCap.status(), yamaCap.toString());
        assertTrue(yamaCap.remedy().contains("uid 1000 is not root"), yamaCap.remedy());

        Path docker = treesRoot().resolve("docker-default");
        Finding notBounded = finding(predict(docker, targets(docker).get("user")), "capability.sys_ptrace");
        assertEquals(List.of(), notBounded.evidence().get("sysPtraceIn"), notBounded.toString());
        assertTrue(notBounded.remedy().contains("--cap-add=SYS_PTRACE"), notBounded.remedy());
        assertFalse(notBounded.remedy().contains("setcap"), notBounded.remedy());
    }

    /**
     * An EPERM no check explains, while process_vm_readv of the target was allowed: target.traced
     * says a tracer outside this PID namespace holds it (TracerPid reads 0 for one). Any other
     * answer, or a target whose tracer is visible, leaves the finding as it was.
     */
    @Test
    void aRefusalWithTheTargetReadableNamesAHiddenTracer() throws Exception {
        Path host = treesRoot().resolve("host");
        Finding untraced = finding(predict(host, targets(host).get("root")), "target.traced");
        assertEquals(Status.PASS, untraced.status());
        TargetTraced check = new TargetTraced();
        SyscallProbe readOk = new SyscallProbe("process_vm_readv(15525, 8 bytes at 0x400000)", "ok", "ok");
        Finding hidden = check.afterRefusal(untraced, new Refusal(Errno.EPERM, "ptrace(PTRACE_SEIZE)", readOk));
        assertEquals(Status.FAIL, hidden.status(), hidden.toString());
        assertTrue(hidden.summary().startsWith("already traced by a tracer outside this PID namespace"), hidden.summary());
        assertEquals(0, hidden.evidence().get("TracerPid"));
        assertEquals(false, hidden.evidence().get("tracerVisible"));
        assertEquals("process_vm_readv(15525, 8 bytes at 0x400000): ok", hidden.evidence().get("targetRead"));
        assertEquals("EPERM", hidden.evidence().get("errno"));

        SyscallProbe readDenied = new SyscallProbe("process_vm_readv(15525, 8 bytes at 0x400000)", "ok", "EPERM");
        assertSame(untraced, check.afterRefusal(untraced, new Refusal(Errno.EPERM, "ptrace(PTRACE_SEIZE)", readDenied)),
                "both refused: a permission rule, not a tracer");
        assertSame(untraced, check.afterRefusal(untraced, new Refusal(Errno.EPERM, "ptrace(PTRACE_SEIZE)", null)));
        assertSame(untraced, check.afterRefusal(untraced, new Refusal(Errno.ESRCH, "ptrace(PTRACE_SEIZE)", readOk)));
        Finding visible = finding(predict(host, targets(host).get("traced")), "target.traced");
        assertSame(visible, check.afterRefusal(visible, new Refusal(Errno.EPERM, "ptrace(PTRACE_SEIZE)", readOk)));
    }

    /** Target pids by role, from the "target PID: …" lines of SCENARIO.txt. */
    static Map<String, Integer> targets(Path tree) throws IOException {
        Map<String, Integer> out = new java.util.HashMap<>();
        for (String line : Files.readAllLines(tree.resolve("SCENARIO.txt"))) {
            Matcher m = Pattern.compile("^target (\\d+): (.*)$").matcher(line);
            if (m.find()) {
                int pid = Integer.parseInt(m.group(1));
                String what = m.group(2);
                if (what.startsWith("kernel thread")) {
                    out.put(what.startsWith("kernel thread kthreadd ") ? "kthreadd" : "kthread", pid);
                } else if (what.contains("PR_SET_PTRACER")) {
                    out.put("ptracer", pid);
                } else if (what.contains("traced by")) {
                    out.put("traced", pid);
                } else if (what.contains("non-dumpable")) {
                    out.put("non-dumpable", pid);
                } else if (what.startsWith("uid 0")) {
                    out.put("root", pid);
                } else {
                    out.put("user", pid);
                }
            }
        }
        return out;
    }

    static Diagnosis predict(Path tree, int pid) {
        FactsReader facts = new FactsReader(ProcFs.at(tree), null);
        Doctor doctor = new Doctor(facts, null, Doctor.standardChecks(null), StopMode.LEADER);
        TracerFacts t = facts.tracer();
        TargetFacts target = facts.target(pid, t.pid()).orElseThrow(() -> new AssertionError("pid " + pid + " not in " + tree));
        return doctor.predict(t, target);
    }

    static Finding finding(Diagnosis d, String id) {
        return d.findings().stream().filter(f -> f.id().equals(id)).findFirst().orElseThrow();
    }

    /** Not test resources: Maven would follow the trees' symlinks when copying them. */
    static Path treesRoot() {
        return GoFixture.repo().resolve("agent/src/test/proc-trees");
    }
}
