package dev.attachproof.diagnose;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.attachproof.linux.Errno;
import dev.attachproof.linux.Linux;
import dev.attachproof.procfs.ProcFs;
import dev.attachproof.ptrace.AttachResult;
import dev.attachproof.ptrace.StopMode;
import dev.attachproof.ptrace.Tracer;
import dev.attachproof.testing.AgentCli;
import dev.attachproof.testing.FixtureProcess;
import dev.attachproof.testing.GoFixture;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The doctor against real Go processes, under real restrictions: a seccomp filter installed in
 * the doctor's own process, CAP_SYS_PTRACE dropped with setpriv against another uid's target, a
 * target already traced (from here, and from outside its PID namespace), a target that made itself
 * non-dumpable, a non-root uid whose CAP_SYS_PTRACE is in its bounding set only. Each asserts the failing check,
 * the errno the kernel gave the proof, and that the target runs on untraced afterwards.
 */
class DoctorLiveTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String NOBODY = "65534";
    private static Path target;

    @BeforeAll
    static void build() {
        target = GoFixture.build("target");
    }

    @Test
    void sameUserTargetIsAttachableAndProvenFromItsMemory() throws Exception {
        try (FixtureProcess t = FixtureProcess.start(target, "-goroutines", "40")) {
            AgentCli.Result r = AgentCli.run("doctor", Integer.toString(t.pid()), "--json");
            JsonNode doc = JSON.readTree(r.stdout());
            assertEquals(0, r.exit(), r.stderr());
            assertEquals("attachable", doc.get("verdict").asText());
            JsonNode proof = doc.get("proof");
            assertTrue(proof.get("ok").asBoolean());
            assertEquals("seize", proof.get("method").asText());
            assertEquals(t.goVersion(), proof.get("goVersion").asText(), "Go version read from target memory");
            assertTrue(proof.get("goroutines").asLong() >= 40, "goroutines: " + proof.get("goroutines"));
            assertTrue(proof.get("stoppedMicros").asLong() > 0);
            assertEquals("pass", check(doc, "target.go").get("status").asText());
            assertEquals(t.goVersion(), check(doc, "target.go").get("evidence").get("goVersion").asText());
            assertEquals(18, doc.get("checks").size(), "every check id of docs/contract.md");
            t.assertRunningUntraced();
        }
    }

    /**
     * The proof counts what Go's own dump shows, not runtime.allglen (which also holds the
     * runtime's goroutines and dead ones kept for reuse), stripped or not. The fixture holds
     * without a stdin reader, so nothing starts after READY reports runtime.NumGoroutine().
     */
    @ParameterizedTest(name = "{0} stripped={1}")
    @MethodSource("dev.attachproof.testing.GoFixture#toolchainMatrix")
    void theProofCountsTheGoroutinesGosDumpShows(String toolchain, boolean stripped) throws Exception {
        Path binary = GoFixture.build("target", toolchain, stripped);
        assertProofCountsAsGo(binary, stripped);
    }

    /**
     * A stripped PIE (before, its proof read a PROT_NONE heap reservation below the executable:
     * EFAULT): the list is found from code, every address moved by the load bias. With every
     * thread stopped, the gs are copied inside the stop.
     */
    @Test
    void theProofReadsAStrippedPie() throws Exception {
        Path pie = GoFixture.build("target", null, List.of("-buildmode=pie", "-ldflags=-s -w"));
        assertProofCountsAsGo(pie, true);
        JsonNode all = assertProofCountsAsGo(pie, true, "--stop", "all");
        assertTrue(!all.get("notes").toString().contains("copied just before the stop"), all.toString());
    }

    private static JsonNode assertProofCountsAsGo(Path binary, boolean stripped, String... flags) throws Exception {
        try (FixtureProcess t = FixtureProcess.start(binary, "-goroutines", "12", "-hold", "forever")) {
            List<String> args = new ArrayList<>(List.of("doctor", Integer.toString(t.pid()), "--json"));
            args.addAll(List.of(flags));
            AgentCli.Result r = AgentCli.run(args.toArray(String[]::new));
            assertEquals(0, r.exit(), r.stderr() + r.stdout());
            JsonNode proof = JSON.readTree(r.stdout()).get("proof");
            assertTrue(proof.get("ok").asBoolean(), proof.toString());
            assertEquals(t.readyGoroutines(), proof.get("goroutines").asLong(), "goroutines as the target's NumGoroutine: " + proof);
            assertTrue(proof.get("goroutinesSystem").asLong() >= 3, "forcegc, bgsweep, bgscavenge at least: " + proof);
            assertTrue(proof.get("goroutinesCounted").asText().contains("Go's own dump"), proof.toString());
            assertEquals(t.goVersion(), proof.get("goVersion").asText(), proof.toString());
            assertEquals(stripped ? "build info" : "runtime.buildVersion", proof.get("goVersionFrom").asText());
            assertEquals(stripped ? "code of runtime.allgadd" : "symbols", proof.get("goroutineList").asText());
            assertTrue(proof.get("notes").toString().indexOf("not read") < 0, proof.toString());
            t.assertRunningUntraced();
            return proof;
        }
    }

    /**
     * A target in a mount namespace of its own, as in a container: at the path its executable
     * has there, our namespace holds another file. The path is judged where it belongs, through
     * /proc/PID/root: the running file, not "replaced"; replacing it there is then seen.
     */
    @Test
    void aTargetsPathIsJudgedInItsOwnMountNamespace() throws Exception {
        assumeTrue(isRoot(), "needs root to mount a tmpfs in a mount namespace of the target's own");
        Path dir = Files.createTempDirectory("attachproof-mntns");
        Path app = dir.resolve("app");
        Files.copy(Path.of("/bin/true"), app);   // what the path names in our namespace
        List<String> inOwnNamespace = List.of("unshare", "--mount", "--propagation", "private", "sh", "-c",
                "mount -t tmpfs tmpfs \"$1\" && cp \"$2\" \"$1/app\" && exec \"$1/app\" -hold forever", "sh",
                dir.toString(), target.toString());
        try (FixtureProcess t = FixtureProcess.start(inOwnNamespace)) {
            JsonNode binary = check(JSON.readTree(AgentCli.run("doctor", Integer.toString(t.pid()), "--json", "--no-proof").stdout()),
                    "target.binary");
            JsonNode evidence = binary.get("evidence");
            assertEquals(app.toString(), evidence.get("path").asText(), binary.toString());
            assertEquals("same", evidence.get("pathInTarget").asText(), binary.toString());
            assertEquals("/proc/" + t.pid() + "/root", evidence.get("readFrom").asText(), binary.toString());
            assertEquals("replaced", evidence.get("pathHere").asText(), binary.toString());
            assertTrue(binary.get("summary").asText().contains("in the target's mount namespace (read through /proc/"), binary.toString());
            assertTrue(!binary.get("summary").asText().contains("replaced since start"), binary.toString());

            // Now another file at its path in the target's namespace, the old one still running and
            // not unlinked (that would be "deleted"): a file bind-mounted over it there.
            Process bind = new ProcessBuilder("nsenter", "--target", Integer.toString(t.pid()), "--mount",
                    "mount", "--bind", "/bin/true", app.toString()).inheritIO().start();
            assertEquals(0, bind.waitFor(), "nsenter ... mount --bind");
            JsonNode replaced = check(JSON.readTree(AgentCli.run("doctor", Integer.toString(t.pid()), "--json", "--no-proof").stdout()),
                    "target.binary");
            assertEquals("replaced", replaced.get("evidence").get("pathInTarget").asText(), replaced.toString());
            assertTrue(replaced.get("summary").asText().contains("replaced since start"), replaced.toString());
        } finally {
            Files.deleteIfExists(app);
            Files.deleteIfExists(dir);
        }
    }

    @Test
    void seccompFilterDenyingPtraceIsNamedWithItsErrno() throws Exception {
        try (FixtureProcess t = FixtureProcess.start(target)) {
            AgentCli.Result r = AgentCli.run("restricted", "--seccomp-deny", "ptrace", "--",
                    "doctor", Integer.toString(t.pid()), "--json");
            JsonNode doc = JSON.readTree(r.stdout());
            assertEquals(1, r.exit(), r.stderr());
            assertEquals("not-attachable", doc.get("verdict").asText());
            JsonNode seccomp = check(doc, "seccomp.ptrace");
            assertEquals("fail", seccomp.get("status").asText());
            assertEquals("EPERM", seccomp.get("evidence").get("errno").asText());
            assertEquals("ESRCH", seccomp.get("evidence").get("expected").asText());
            assertEquals(2, seccomp.get("evidence").get("Seccomp").asInt());
            assertEquals("pass", check(doc, "seccomp.process_vm_readv").get("status").asText());
            assertEquals("EPERM", doc.get("proof").get("errno").asText());
            assertEquals(List.of("seccomp.ptrace"), texts(doc.get("proof").get("explainedBy")));
            t.assertRunningUntraced();
        }
    }

    @Test
    void seccompFilterDenyingProcessVmReadvStillAttachesAndReadsAnotherWay() throws Exception {
        try (FixtureProcess t = FixtureProcess.start(target)) {
            AgentCli.Result r = AgentCli.run("restricted", "--seccomp-deny", "process_vm_readv", "--",
                    "doctor", Integer.toString(t.pid()), "--json");
            JsonNode doc = JSON.readTree(r.stdout());
            assertEquals(0, r.exit(), r.stderr());
            JsonNode check = check(doc, "seccomp.process_vm_readv");
            assertEquals("warn", check.get("status").asText());
            assertEquals("EPERM", check.get("evidence").get("errno").asText());
            assertEquals("/proc/PID/mem", doc.get("proof").get("readMethod").asText());
            assertEquals(t.goVersion(), doc.get("proof").get("goVersion").asText());
            t.assertRunningUntraced();
        }
    }

    @Test
    void withoutCapSysPtraceAnotherUsersTargetIsDenied() throws Exception {
        assumeTrue(isRoot(), "needs root to run the target as another uid");
        try (FixtureProcess t = FixtureProcess.start(asNobody(target.toString()))) {
            AgentCli.Result r = AgentCli.runAs(List.of("setpriv", "--inh-caps=-sys_ptrace", "--bounding-set=-sys_ptrace", "--"),
                    "doctor", Integer.toString(t.pid()), "--json");
            JsonNode doc = JSON.readTree(r.stdout());
            assertEquals(1, r.exit(), r.stderr());
            assertEquals("fail", check(doc, "credentials.uid").get("status").asText());
            assertEquals("EPERM", check(doc, "credentials.uid").get("evidence").get("errno").asText());
            JsonNode cap = check(doc, "capability.sys_ptrace");
            assertEquals("warn", cap.get("status").asText(), "the capability is the remedy, not the cause");
            assertTrue(cap.get("summary").asText().contains("credentials.uid"), cap.toString());
            // Out of the bounding set too: only adding it to the container (or user) helps.
            assertEquals(List.of(), texts(cap.get("evidence").get("sysPtraceIn")), cap.toString());
            assertTrue(cap.get("remedy").asText().contains("--cap-add=SYS_PTRACE"), cap.toString());
            assertEquals("EPERM", doc.get("proof").get("errno").asText());
            assertEquals(List.of("credentials.uid"), texts(doc.get("proof").get("explainedBy")));
            t.assertRunningUntraced();
        }
    }

    /**
     * uid 1000 with every capability in its bounding set and none in the others: what `docker
     * run --user 1000 --cap-add SYS_PTRACE` or Kubernetes' capabilities.add with runAsUser: 1000
     * leave a debugger, since exec gives a non-root uid no capability. The kernel refuses the
     * other uid's target; the remedy is not to add the capability again but root, file
     * capabilities or an ambient one. The ambient way is then taken as the remedy spells it (a
     * root parent, setpriv, starting uid 1000 with it) and the attach works.
     */
    @Test
    void aNonRootUidWithTheCapabilityOnlyInItsBoundingSetIsToldWhatHelps() throws Exception {
        assumeTrue(isRoot(), "needs root to run both sides as other uids");
        List<String> uid1000 = List.of("setpriv", "--reuid=1000", "--regid=1000", "--clear-groups");
        try (FixtureProcess t = FixtureProcess.start(asNobody(target.toString()))) {
            List<String> boundingOnly = new ArrayList<>(uid1000);
            boundingOnly.addAll(List.of("--inh-caps=-all", "--"));
            AgentCli.Result r = AgentCli.runAs(boundingOnly, "doctor", Integer.toString(t.pid()), "--json");
            JsonNode doc = JSON.readTree(r.stdout());
            assertEquals(1, r.exit(), r.stderr() + r.stdout());
            assertEquals("EPERM", doc.get("proof").get("errno").asText());
            assertEquals(List.of("credentials.uid"), texts(doc.get("proof").get("explainedBy")));
            JsonNode cap = check(doc, "capability.sys_ptrace");
            assertEquals("warn", cap.get("status").asText(), cap.toString());
            assertEquals(List.of("CapBnd"), texts(cap.get("evidence").get("sysPtraceIn")), cap.toString());
            String remedy = cap.get("remedy").asText();
            for (String way : List.of("runAsUser: 0", "setcap cap_sys_ptrace+ep", "--ambient-caps=+sys_ptrace")) {
                assertTrue(remedy.contains(way), way + " in: " + remedy);
            }
            assertTrue(!remedy.contains("--cap-add=SYS_PTRACE") && !remedy.contains("capabilities.add: [SYS_PTRACE]"), remedy);
            t.assertRunningUntraced();

            // Under no_new_privs (Docker's no-new-privileges, allowPrivilegeEscalation: false) file
            // capabilities are void: both remedies say so, and neither says to add the capability.
            List<String> noNewPrivs = new ArrayList<>(uid1000);
            noNewPrivs.addAll(List.of("--inh-caps=-all", "--no-new-privs", "--"));
            JsonNode nnp = JSON.readTree(AgentCli.runAs(noNewPrivs, "doctor", Integer.toString(t.pid()), "--json", "--no-proof").stdout());
            for (String id : List.of("capability.sys_ptrace", "nonewprivs")) {
                String said = check(nnp, id).get("remedy").asText();
                assertTrue(said.contains("not here: no_new_privs is set") && !said.contains("--cap-add=SYS_PTRACE"), id + ": " + said);
            }

            List<String> ambient = new ArrayList<>(uid1000);
            ambient.addAll(List.of("--inh-caps=+sys_ptrace", "--ambient-caps=+sys_ptrace", "--"));
            AgentCli.Result withAmbient = AgentCli.runAs(ambient, "doctor", Integer.toString(t.pid()), "--json");
            JsonNode ok = JSON.readTree(withAmbient.stdout());
            assertEquals(0, withAmbient.exit(), withAmbient.stderr() + withAmbient.stdout());
            JsonNode held = check(ok, "capability.sys_ptrace");
            assertEquals("pass", held.get("status").asText(), held.toString());
            assertTrue(texts(held.get("evidence").get("sysPtraceIn")).containsAll(List.of("CapEff", "CapAmb")), held.toString());
            t.assertRunningUntraced();
        }
    }

    /**
     * A tracer in an ancestor PID namespace: the target runs as pid 1 of a namespace of its own,
     * this JVM (in ours) seizes it, and the doctor runs beside the target, where the tracer has no
     * pid and TracerPid reads 0. The seize is refused (task->ptrace) while process_vm_readv reads
     * the target: target.traced names the hidden tracer and explains the EPERM. Untraced, the
     * same doctor attaches.
     */
    @Test
    void aTracerOutsideThePidNamespaceIsNamedFromTheRefusal() throws Exception {
        assumeTrue(isRoot(), "needs root for a PID namespace and nsenter");
        try (FixtureProcess t = FixtureProcess.startInPidNamespace(target, "-hold", "forever")) {
            List<String> beside = List.of("nsenter", "--target", Integer.toString(t.pid()), "--pid", "--mount", "--");
            AgentCli.Result free = AgentCli.runAs(beside, "doctor", "1", "--json");
            assertEquals(0, free.exit(), free.stderr() + free.stdout());
            assertEquals("pass", check(JSON.readTree(free.stdout()), "target.traced").get("status").asText());

            Tracer ours = new Tracer(Linux.system(), ProcFs.live());
            AttachResult.Attached a = assertInstanceOf(AttachResult.Attached.class,
                    ours.attach(t.pid(), StopMode.LEADER, Duration.ofSeconds(2)));
            try {
                assertNotEquals("0", FixtureProcess.field(t.status(), "TracerPid"), "traced, as seen from here");
                AgentCli.Result r = AgentCli.runAs(beside, "doctor", "1", "--json");
                JsonNode doc = JSON.readTree(r.stdout());
                assertEquals(1, r.exit(), r.stderr() + r.stdout());
                JsonNode traced = check(doc, "target.traced");
                assertEquals("fail", traced.get("status").asText(), traced.toString());
                assertEquals(0, traced.get("evidence").get("TracerPid").asInt(), "no pid in the target's namespace");
                assertEquals(false, traced.get("evidence").get("tracerVisible").asBoolean(), traced.toString());
                assertTrue(traced.get("evidence").get("targetRead").asText().endsWith(": ok"), traced.toString());
                assertTrue(traced.get("summary").asText().contains("outside this PID namespace"), traced.toString());
                assertEquals("EPERM", doc.get("proof").get("errno").asText());
                assertEquals(List.of("target.traced"), texts(doc.get("proof").get("explainedBy")));
                assertTrue(doc.get("contradiction").isNull(), doc.get("contradiction").toString());
                assertEquals("not-attachable", doc.get("verdict").asText());
            } finally {
                a.session().close();
            }
            t.assertRunningUntraced();
        }
    }

    @Test
    void withCapSysPtraceAnotherUsersTargetIsAttachable() throws Exception {
        assumeTrue(isRoot(), "needs root to run the target as another uid");
        try (FixtureProcess t = FixtureProcess.start(asNobody(target.toString()))) {
            AgentCli.Result r = AgentCli.run("doctor", Integer.toString(t.pid()), "--json");
            JsonNode doc = JSON.readTree(r.stdout());
            assertEquals(0, r.exit(), r.stderr());
            assertEquals("pass", check(doc, "credentials.uid").get("status").asText());
            assertEquals(NOBODY + "/" + NOBODY + "/" + NOBODY, check(doc, "credentials.uid").get("evidence").get("targetUid").asText());
            t.assertRunningUntraced();
        }
    }

    /**
     * kthreadd (pid 2 in the initial PID namespace), a kernel thread: ptrace_attach refuses it
     * (PF_KTHREAD) before any rule /proc shows a setting for. The doctor predicts the refusal
     * from /proc/2/stat's flags, the proof's EPERM is explained by target.state, and nothing is
     * blamed on an LSM. The front ends do not serve it (exit 2 here, 422 from the sidecar) and
     * say why in one line, doctor, goroutines and compat alike. Before: predicted attachable, then "every visible rule allows this
     * attach ... a BPF LSM program" and exit 1.
     */
    @Test
    void aKernelThreadIsRefusedByTheKernelAndSaysSo() {
        java.util.Optional<dev.attachproof.procfs.ProcStat> kthreadd = ProcFs.live().stat(2);
        assumeTrue(kthreadd.isPresent() && kthreadd.get().comm().equals("kthreadd"),
                "pid 2 is not kthreadd here (another PID namespace?): " + kthreadd);
        assertTrue(kthreadd.get().kernelThread(), "kthreadd carries PF_KTHREAD: " + kthreadd);
        Doctor doctor = new Doctor(new FactsReader(ProcFs.live(), Linux.system()), Tracer.shared(),
                Doctor.standardChecks(null), StopMode.LEADER);
        Diagnosis d = assertDoesNotThrow(() -> doctor.diagnose(2, true));
        assertEquals(Verdict.NOT_ATTACHABLE, d.predicted(), () -> "findings: " + d.findings());
        assertEquals(Verdict.NOT_ATTACHABLE, d.verdict());
        assertEquals(List.of("target.state"), d.failing().stream().map(Finding::id).toList());
        assertTrue(d.failing().getFirst().summary().contains("kernel thread"), d.failing().getFirst().summary());
        assertEquals(Errno.EPERM, d.proof().errno(), d.proof().toString());
        assertEquals(List.of("target.state"), d.proof().explainedBy());
        assertNull(d.contradiction(), d.contradiction());
        for (Finding f : d.findings()) {
            assertTrue(f.remedy() == null || !f.remedy().contains("ptrace read access"), f.toString());
        }

        // The same line from every command that takes a pid (before, goroutines said "exited",
        // compat "no such file: /proc/2/exe").
        for (String command : List.of("doctor", "goroutines", "compat")) {
            AgentCli.Result r = AgentCli.run(command, "2");
            assertEquals(2, r.exit(), command + ": " + r.stdout() + r.stderr());
            assertEquals("", r.stdout());
            String err = r.stderr().strip();
            assertEquals(1, err.lines().count(), err);
            assertTrue(err.startsWith("attachproof: pid 2 (kthreadd) is a kernel thread"), command + ": " + err);
            assertTrue(!err.contains("LSM") && !err.contains("not a Go program"), err);
        }
    }

    @Test
    void aTargetAlreadyTracedNamesItsTracer() throws Exception {
        Tracer ours = new Tracer(Linux.system(), ProcFs.live());
        try (FixtureProcess t = FixtureProcess.start(target)) {
            AttachResult held = ours.attach(t.pid(), StopMode.LEADER, Duration.ofSeconds(2));
            AttachResult.Attached a = assertInstanceOf(AttachResult.Attached.class, held);
            try {
                AgentCli.Result r = AgentCli.run("doctor", Integer.toString(t.pid()), "--json");
                JsonNode doc = JSON.readTree(r.stdout());
                assertEquals(1, r.exit(), r.stderr());
                JsonNode traced = check(doc, "target.traced");
                assertEquals("fail", traced.get("status").asText());
                assertEquals(ProcessHandle.current().pid(), traced.get("evidence").get("tracerProcess").asLong());
                assertEquals("EPERM", doc.get("proof").get("errno").asText());
                assertEquals(List.of("target.traced"), texts(doc.get("proof").get("explainedBy")));
            } finally {
                a.session().close();
            }
            t.assertRunningUntraced();
        }
    }

    @Test
    void aNonDumpableTargetIsDeniedToItsOwnUserWithoutTheCapability() throws Exception {
        assumeTrue(isRoot(), "needs root to run both sides as another uid");
        try (FixtureProcess t = FixtureProcess.start(asNobody(target.toString(), "-nondumpable"))) {
            AgentCli.Result r = AgentCli.runAs(asNobody(), "doctor", Integer.toString(t.pid()), "--json");
            JsonNode doc = JSON.readTree(r.stdout());
            assertEquals(1, r.exit(), r.stderr() + r.stdout());
            assertEquals("pass", check(doc, "credentials.uid").get("status").asText());
            JsonNode dumpable = check(doc, "target.dumpable");
            assertEquals("fail", dumpable.get("status").asText());
            assertEquals("0:0", dumpable.get("evidence").get("owner").asText());
            assertEquals("EPERM", doc.get("proof").get("errno").asText());
            assertEquals(List.of("target.dumpable"), texts(doc.get("proof").get("explainedBy")));
            t.assertRunningUntraced();
        }
    }

    @Test
    void theDumpableTwinIsAttachableByItsOwnUser() throws Exception {
        assumeTrue(isRoot(), "needs root to run both sides as another uid");
        try (FixtureProcess t = FixtureProcess.start(asNobody(target.toString()))) {
            AgentCli.Result r = AgentCli.runAs(asNobody(), "doctor", Integer.toString(t.pid()), "--json");
            JsonNode doc = JSON.readTree(r.stdout());
            assertEquals(0, r.exit(), r.stderr() + r.stdout());
            assertEquals("pass", check(doc, "target.dumpable").get("status").asText());
            assertEquals("pass", check(doc, "capability.sys_ptrace").get("status").asText());
            assertNull(doc.get("contradiction").textValue());
            t.assertRunningUntraced();
        }
    }

    static JsonNode check(JsonNode doc, String id) {
        for (JsonNode c : doc.get("checks")) {
            if (c.get("id").asText().equals(id)) {
                return c;
            }
        }
        throw new AssertionError("no check " + id + " in " + doc);
    }

    static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    /** setpriv to uid/gid 65534 with no capabilities, then the command. */
    static List<String> asNobody(String... command) {
        List<String> cmd = new ArrayList<>(List.of("setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY,
                "--clear-groups", "--inh-caps=-all", "--"));
        cmd.addAll(List.of(command));
        return cmd;
    }
}
