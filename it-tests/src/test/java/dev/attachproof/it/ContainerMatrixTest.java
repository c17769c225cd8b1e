package dev.attachproof.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;

import dev.attachproof.testcontainers.AgentSidecar;
import dev.attachproof.testcontainers.DoctorReport;
import dev.attachproof.testcontainers.Security;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The container matrix: a Go target in one container, the agent in a sidecar sharing its PID
 * namespace, under one combination of capabilities, seccomp profile, users and no_new_privs per
 * case. Whatever the kernel answers to PTRACE_SEIZE is the truth; each case states the answer
 * the kernel's rules give (kernel/ptrace.c, __ptrace_may_access and ptrace_has_cap; Docker's
 * default profile, profiles/seccomp/default.json in moby) and asserts that the proof got it, that
 * the doctor predicted it (no contradiction), the check that names the cause and the errno.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ContainerMatrixTest {

  /** One case: the two containers' settings and what the kernel must answer. */
  record Case(Security target, String[] targetArgs, Security sidecar, boolean attachable,
      List<String> failing, String errno, Consumer<DoctorReport> more) {
    static Case of(Security target, Security sidecar) {
      return new Case(target, new String[0], sidecar, true, List.of(), null, r -> {});
    }
    Case targetArgs(String... args) { return new Case(target, args, sidecar, attachable, failing, errno, more); }
    Case denied(String errno, String... failing) { return new Case(target, targetArgs, sidecar, false, List.of(failing), errno, more); }
    Case also(Consumer<DoctorReport> check) { return new Case(target, targetArgs, sidecar, attachable, failing, errno, check); }
  }

  private static final Security ROOT = Security.DEFAULT;
  // Users with their group: the fixture image is FROM scratch, with no /etc/passwd, so
  // `--user 1000` alone runs with gid 0 there (the agent image's passwd gives 1000 gid 1000).
  private static final Security U1000 = ROOT.withUser("1000:1000");
  private static final Security U1001 = ROOT.withUser("1001:1001");

  static Stream<Named<Case>> cases() {
    return Stream.of(
        // Docker's defaults on both sides, both root. Same uid, target dumpable, the target's
        // capabilities (Docker's default set) are a subset of ours: __ptrace_may_access allows
        // it without CAP_SYS_PTRACE. Docker's default seccomp profile allows ptrace on kernels
        // >= 4.8, but process_vm_readv only with CAP_SYS_PTRACE: the doctor warns and reads
        // through /proc/PID/mem.
        named("defaults, root beside root", Case.of(ROOT, ROOT).also(r -> {
          assertEquals("warn", r.status("seccomp.process_vm_readv"));
          assertEquals("EPERM", r.check("seccomp.process_vm_readv").path("evidence").path("observed").asText());
          assertEquals("/proc/PID/mem", r.proof().path("readMethod").asText());
        })),
        // Root in the sidecar, target as uid 1000: the uids differ, so the kernel asks for
        // CAP_SYS_PTRACE (ptrace_has_cap), which Docker's default capability set lacks: EPERM.
        named("defaults, root beside uid 1000", Case.of(U1000, ROOT)
            .denied("EPERM", "credentials.uid")),
        // The same with --cap-add SYS_PTRACE: the capability overrides the uid rule. Docker's
        // default profile then also allows process_vm_readv (it is conditioned on the cap).
        named("--cap-add SYS_PTRACE, root beside uid 1000", Case.of(U1000, ROOT.withCapSysPtrace())
            .also(r -> assertEquals("pass", r.status("seccomp.process_vm_readv")))),
        // --privileged: every capability, no seccomp filter at all.
        named("--privileged, root beside uid 1000", Case.of(U1000, ROOT.withPrivileged())
            .also(r -> assertEquals("pass", r.status("seccomp.process_vm_readv")))),
        // The same non-root uid on both sides: uid 1000 holds no capabilities in either container
        // (Docker clears them for a non-root user), so the subset rule holds (empty in empty),
        // the ids match and the target is dumpable: allowed.
        named("uid 1000 beside uid 1000", Case.of(U1000, U1000)),
        // The same uid but another gid (target `--user 1000`: gid 0 in a scratch image): the
        // kernel compares real, effective and saved gids as well as uids: EPERM.
        named("uid 1000 gid 1000 beside uid 1000 gid 0", Case.of(ROOT.withUser("1000"), U1000)
            .denied("EPERM", "credentials.uid")),
        // Another non-root uid: ids differ and there is no capability to override: EPERM.
        named("uid 1001 beside uid 1000", Case.of(U1000, U1001)
            .denied("EPERM", "credentials.uid")),
        // --cap-add SYS_PTRACE does not help a non-root user: Docker puts the capability in the
        // bounding set only, and a non-root process gets no permitted or effective capabilities
        // from exec (no file capabilities, no ambient set): still EPERM.
        // The doctor says so: CAP_SYS_PTRACE is in the bounding set and in no other, and the
        // remedy is root, file capabilities or an ambient capability, not adding it again.
        named("--cap-add SYS_PTRACE as uid 1001 beside uid 1000", Case.of(U1000, U1001.withCapSysPtrace())
            .denied("EPERM", "credentials.uid").also(r -> {
              JsonNode cap = r.check("capability.sys_ptrace");
              assertEquals("warn", cap.path("status").asText(), cap::toString);
              assertEquals("[\"CapBnd\"]", cap.path("evidence").path("sysPtraceIn").toString(), cap::toString);
              String remedy = cap.path("remedy").asText();
              for (String way : List.of("runAsUser: 0", "--user 0", "setcap cap_sys_ptrace+ep", "--ambient-caps=+sys_ptrace")) {
                assertTrue(remedy.contains(way), () -> way + " in: " + remedy);
              }
              assertFalse(remedy.contains("--cap-add=SYS_PTRACE"), remedy);
            })),
        // seccomp=unconfined with default capabilities: same uid, allowed; no filter, so
        // process_vm_readv works too.
        named("seccomp=unconfined, root beside root", Case.of(ROOT, ROOT.withSeccompUnconfined())
            .also(r -> {
              assertEquals("pass", r.status("seccomp.process_vm_readv"));
              assertEquals("process_vm_readv", r.proof().path("readMethod").asText());
            })),
        // A profile answering ptrace with EPERM (containers/seccomp/deny-ptrace.json): the filter
        // runs before any permission check, so even CAP_SYS_PTRACE cannot help: EPERM, seccomp.
        named("seccomp deny-ptrace.json with SYS_PTRACE, root beside root",
            Case.of(ROOT, ROOT.withCapSysPtrace().withSeccompProfile(Images.seccompProfile("deny-ptrace.json")))
                .denied("EPERM", "seccomp.ptrace")),
        // A profile that only answers process_vm_readv with EPERM: ptrace itself is allowed, the
        // attach works, memory is read through /proc/PID/mem; the doctor warns.
        named("seccomp deny-process-vm-readv.json with SYS_PTRACE, root beside root",
            Case.of(ROOT, ROOT.withCapSysPtrace().withSeccompProfile(Images.seccompProfile("deny-process-vm-readv.json"))).also(r -> {
              assertEquals("warn", r.status("seccomp.process_vm_readv"));
              assertEquals("/proc/PID/mem", r.proof().path("readMethod").asText());
            })),
        // no_new_privs only stops exec from gaining privileges (setuid, file caps); ptrace's
        // rules do not look at it: allowed. The doctor sees it set.
        named("no-new-privileges, root beside root", Case.of(ROOT, ROOT.withNoNewPrivileges())
            .also(r -> assertEquals(1, r.check("nonewprivs").path("evidence").path("NoNewPrivs").asInt()))),
        // A non-dumpable target (prctl PR_SET_DUMPABLE 0): __ptrace_may_access then asks for
        // CAP_SYS_PTRACE even with matching ids; uid 1000 has none: EPERM. The kernel gives a
        // non-dumpable process's /proc/PID/status to root, which is the doctor's evidence.
        named("non-dumpable target, uid 1000 beside uid 1000", Case.of(U1000, U1000).targetArgs("-nondumpable")
            .denied("EPERM", "target.dumpable")),
        // The same between two root processes, Docker's default capabilities (no
        // CAP_SYS_PTRACE): EPERM. A root target's /proc files are root's either way; the doctor
        // tells by elimination: /proc/1/exe answers EACCES although the ids match, the target
        // holds no capability the sidecar lacks, and both are in the initial user namespace.
        // (This case found the gap: the doctor used to predict attachable here.)
        named("non-dumpable target, root beside root", Case.of(ROOT, ROOT).targetArgs("-nondumpable")
            .denied("EPERM", "target.dumpable")),
        // The same with --cap-add SYS_PTRACE: the capability overrides dumpability.
        named("non-dumpable target, --cap-add SYS_PTRACE", Case.of(ROOT, ROOT.withCapSysPtrace()).targetArgs("-nondumpable")),
        // A --privileged target holds every capability; the tracer (Docker's default set) does
        // not: the kernel's subset rule (the target's permitted set within ours, unless we hold
        // CAP_SYS_PTRACE) denies it although both are root: EPERM, a capability cause.
        named("--privileged target, root beside it with defaults", Case.of(ROOT.withPrivileged(), ROOT)
            .denied("EPERM", "capability.sys_ptrace"))
    );
  }

  /**
   * A debugger on the host (strace, from the engine's PID namespace) holds the target; the
   * sidecar, in the target's PID namespace with CAP_SYS_PTRACE, sees TracerPid 0, since the
   * tracer has no pid there. The seize is refused (task->ptrace, kernel/ptrace.c) while
   * process_vm_readv, which asks the same permission rules, reads the target: target.traced says
   * a tracer outside this PID namespace holds it. Once strace detaches, the same sidecar attaches.
   */
  @Test
  void aTracerOnTheHostIsNamedFromTheSidecar() throws Exception {
    try (GoTarget target = new GoTarget(ROOT);
         AgentSidecar agent = startSidecar(target, ROOT.withCapSysPtrace())) {
      long hostPid = target.getContainerInfo().getState().getPidLong();
      DoctorReport r;
      try (HostTracer strace = HostTracer.attach(hostPid)) {
        r = agent.doctor(1);
      }
      System.out.println("host tracer: " + r + ", target.traced " + r.check("target.traced"));
      assertEquals("EPERM", r.errno(), r::toString);
      assertEquals("not-attachable", r.verdict(), r::toString);
      assertEquals(1, r.exitCode(), r::toString);
      assertFalse(r.contradiction(), r::toString);
      assertEquals(List.of("target.traced"), r.checksWith("fail"), r::toString);
      assertEquals("[\"target.traced\"]", r.proof().path("explainedBy").toString(), r::toString);
      JsonNode traced = r.check("target.traced");
      assertEquals(0, traced.path("evidence").path("TracerPid").asInt(), traced::toString);
      assertTrue(traced.path("summary").asText().contains("outside this PID namespace"), traced::toString);
      assertTrue(traced.path("evidence").path("targetRead").asText().endsWith(": ok"), traced::toString);

      DoctorReport after = agent.doctor(1);
      assertTrue(after.proofOk(), after::toString);
      assertEquals("pass", after.status("target.traced"), after::toString);
    }
  }

  private static Named<Case> named(String name, Case c) {
    return Named.of(name, c);
  }

  @BeforeAll
  static void images() {
    Images.ensureBuilt();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void doctorAgreesWithTheKernel(Case c) {
    try (GoTarget target = new GoTarget(c.target(), c.targetArgs());
         AgentSidecar agent = startSidecar(target, c.sidecar())) {
      DoctorReport r = agent.doctor(1);
      System.out.println("case target " + c.target() + " " + String.join(" ", c.targetArgs())
          + " / sidecar " + c.sidecar() + ": " + r.verdict() + ", errno " + r.errno()
          + ", fail " + r.checksWith("fail") + ", warn " + r.checksWith("warn")
          + ", readMethod " + r.proof().path("readMethod").asText());
      assertOutcome(c, r);
      c.more().accept(r);
    }
  }

  private static AgentSidecar startSidecar(GoTarget target, Security sidecar) {
    target.start();
    AgentSidecar agent = SchemaChecked.sidecar(target, sidecar);
    agent.start();
    return agent;
  }

  /** The kernel's answer is what we derived; the doctor predicted it; the cause is named. */
  static void assertOutcome(Case c, DoctorReport r) {
    assertTrue(r.proof().path("attempted").asBoolean(), () -> "no proof attempted: " + r);
    assertEquals(c.attachable(), r.proofOk(), () -> "the kernel's answer: " + r);
    assertEquals(r.verdict(), r.predicted(), () -> "the doctor mispredicted: " + r);
    assertFalse(r.contradiction(), () -> "contradiction: " + r);
    assertEquals(c.attachable() ? "attachable" : "not-attachable", r.verdict(), r::toString);
    assertEquals(c.attachable() ? 0 : 1, r.exitCode(), () -> "exit status: " + r + r.stderr());
    assertEquals(c.errno(), r.errno(), r::toString);
    assertEquals(c.failing(), r.checksWith("fail"), () -> "failing checks: " + r);
  }
}
