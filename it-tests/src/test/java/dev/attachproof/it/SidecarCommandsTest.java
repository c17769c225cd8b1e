package dev.attachproof.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import dev.attachproof.testcontainers.AgentSidecar;
import dev.attachproof.testcontainers.DoctorReport;
import dev.attachproof.testcontainers.Security;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.attachproof.testing.Schemas;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;

/**
 * The agent's other commands from a sidecar, the Go versions under test, and the agent inside the
 * target's own container.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SidecarCommandsTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @BeforeAll
  static void images() {
    Images.ensureBuilt();
  }

  // `ps` from the sidecar lists the target (pid 1 of the shared namespace) with its Go version
  // and predicts it attachable (root beside root, Docker's defaults: same uid, dumpable).
  @Test
  void psFromTheSidecarSeesTheTarget() throws IOException {
    try (GoTarget target = new GoTarget(Security.DEFAULT)) {
      target.start();
      try (AgentSidecar agent = SchemaChecked.sidecar(target, Security.DEFAULT)) {
        agent.start();
        ExecResult ps = agent.attachproof("ps", "--json");
        assertEquals(0, ps.getExitCode(), ps::getStderr);
        JsonNode doc = JSON.readTree(ps.getStdout());
        assertEquals("attachproof.ps/v1", doc.path("schema").asText());
        List<JsonNode> processes = new ArrayList<>();
        doc.path("processes").forEach(processes::add);
        assertEquals(1, processes.size(), () -> "only the target is a Go process here: " + doc);
        JsonNode p = processes.get(0);
        assertEquals(1, p.path("pid").asInt());
        assertEquals(Images.goVersionOf("go1.22"), p.path("goVersion").asText());
        assertEquals("attachproof.dev/fixtures/target", p.path("path").asText());
        assertEquals("attachable", p.path("predicted").asText());
      }
    }
  }

  // The sidecar's HTTP API, as a pod uses it: `serve` on the sidecar's loopback, asked from
  // inside the pod (busybox wget in the agent image). /healthz answers; /v1/doctor?pid=1 is the
  // doctor's JSON with the verdict the CLI gives (root beside root, Docker's defaults:
  // attachable); a pid outside the shared namespace is a 404 JSON error, and the server keeps
  // serving; /v1/goroutines?pid=1&format=json is the snapshot.
  @Test
  void theSidecarsHttpApi() throws Exception {
    try (GoTarget target = new GoTarget(Security.DEFAULT)) {
      target.start();
      try (AgentSidecar agent = SchemaChecked.sidecar(target, Security.DEFAULT).serving()) {
        agent.start();
        assertEquals(true, JSON.readTree(get(agent, "/healthz")).path("ok").asBoolean());
        JsonNode doctor = JSON.readTree(get(agent, "/v1/doctor?pid=1"));
        assertEquals("attachproof.doctor/v1", doctor.path("schema").asText());
        assertEquals("attachable", doctor.path("verdict").asText(), doctor::toString);
        assertTrue(doctor.path("proof").path("ok").asBoolean(), doctor::toString);
        ExecResult missing = agent.execInContainer("wget", "-q", "-O-", "http://127.0.0.1:7070/v1/doctor?pid=99999");
        assertTrue(missing.getStderr().contains("404"), () -> "a pid outside the namespace: " + missing.getStderr());
        assertEquals(true, JSON.readTree(get(agent, "/healthz")).path("ok").asBoolean(), "still serving");
        JsonNode snap = JSON.readTree(get(agent, "/v1/goroutines?pid=1&format=json"));
        assertEquals("attachproof.goroutines/v1", snap.path("schema").asText());
        assertTrue(snap.path("goroutines").size() >= 8, snap::toString);
      }
    }
  }

  // Issue 14: a DaemonSet agent (hostPID) sees host pids, but people name containers. The agent
  // runs with --pid=host and serves; the target is another container, named by its Docker id
  // (full, its first 12 digits, Kubernetes' docker://ID). The process chosen is the target's main
  // process, as Docker knows it (State.Pid, a host pid), and it is its init; the agent's own
  // container, which runs Java and no Go, is refused with one line.
  @Test
  void aContainerNamedByItsIdFromAHostPidAgent() throws Exception {
    try (GoTarget target = new GoTarget(Security.DEFAULT)) {
      target.start();
      String id = target.getContainerId();
      long main = target.getContainerInfo().getState().getPidLong();
      try (AgentSidecar agent = SchemaChecked.sidecar(Images.AGENT, "host", Security.DEFAULT).serving()) {
        agent.start();
        ExecResult doctor = agent.attachproof("doctor", "--container", id, "--json");
        assertEquals(0, doctor.getExitCode(), doctor::getStderr);
        JsonNode d = JSON.readTree(doctor.getStdout());
        assertEquals(main, d.path("pid").asLong(), d::toString);
        assertEquals("attachable", d.path("verdict").asText(), d::toString);
        assertContainer(d.path("container"), id, main);

        ExecResult snap = agent.attachproof("goroutines", "--container", id.substring(0, 12));
        assertEquals(0, snap.getExitCode(), snap::getStderr);
        assertTrue(snap.getStderr().startsWith("attachproof: container " + id.substring(0, 12) + ": pid " + main
            + " (/target), its init process; 1 process, 1 Go program\n"), snap::getStderr);
        assertTrue(snap.getStdout().contains("main.parked"), snap::getStdout);

        JsonNode json = JSON.readTree(agent.attachproof("goroutines", "--container", "docker://" + id, "--format", "json").getStdout());
        assertEquals(main, json.path("pid").asLong());
        assertContainer(json.path("container"), id, main);

        JsonNode served = JSON.readTree(get(agent, "/v1/doctor?container=" + id.substring(0, 12)));
        assertEquals(main, served.path("pid").asLong(), served::toString);
        assertContainer(served.path("container"), id, main);
        JsonNode servedSnap = JSON.readTree(get(agent, "/v1/goroutines?format=json&container=docker://" + id));
        assertContainer(servedSnap.path("container"), id, main);
        assertTrue(servedSnap.path("goroutines").size() >= 8, servedSnap::toString);

        // A container with a second process, entered as `kubectl exec` enters one (its parent is
        // the runtime's shim, outside the container, as the init's is): the init is still chosen.
        try (GenericContainer<?> both = new GenericContainer<>(Images.AGENT_WITH_TARGET)
            .withNetworkMode("none")
            .withLabel(Images.LABEL, "agent-with-target")
            .waitingFor(Wait.forLogMessage("READY pid=1 .*\\n", 1))) {
          both.start();
          ExecResult entered = both.execInContainer("sh", "-c", "sleep 300 </dev/null >/dev/null 2>&1 & echo started");
          assertEquals("started", entered.getStdout().strip(), entered::getStderr);
          long init = both.getContainerInfo().getState().getPidLong();
          ExecResult two = agent.attachproof("doctor", "--container", both.getContainerId(), "--json", "--no-proof");
          JsonNode c = JSON.readTree(two.getStdout()).path("container");
          assertEquals(init, c.path("pid").asLong(), two::getStderr);
          assertEquals("init", c.path("chosen").asText(), c::toString);
          assertEquals(1, c.path("goPrograms").asInt(), c::toString);
          assertTrue(c.path("processes").asInt() >= 2, c::toString);   // the target, sleep (and sh, while it lasts)
        }

        ExecResult notGo = agent.attachproof("doctor", "--container", agent.getContainerId());
        assertEquals(2, notGo.getExitCode(), notGo::getStderr);
        assertTrue(notGo.getStderr().startsWith("attachproof: container " + agent.getContainerId().substring(0, 12)
            + " has no Go program among its "), notGo::getStderr);
        assertEquals(1, notGo.getStderr().strip().lines().count(), notGo::getStderr);
        assertTrue(target.isRunning(), "the target runs on");
      }
    }
  }

  private static void assertContainer(JsonNode c, String id, long main) {
    assertEquals(id, c.path("id").asText(), c::toString);
    assertEquals(main, c.path("pid").asLong(), c::toString);
    assertEquals("init", c.path("chosen").asText(), c::toString);
    assertEquals(1, c.path("processes").asInt(), c::toString);
    assertEquals(1, c.path("goPrograms").asInt(), c::toString);
  }

  /** GET on the sidecar's own loopback, from inside it; the body. */
  private static String get(AgentSidecar agent, String path) throws IOException, InterruptedException {
    ExecResult r = agent.execInContainer("wget", "-q", "-O-", "http://127.0.0.1:7070" + path);
    assertEquals(0, r.getExitCode(), () -> path + ": " + r.getStderr());
    Schemas.assertValidIfDocument(r.getStdout());   // wget -q answers 200 only
    return r.getStdout();
  }

  // A goroutine snapshot from the sidecar: the target's 8 parked goroutines, in the three places
  // agent/go/target parks them (i % 3: chan receive, select, sleep), created by main.main; the
  // target was stopped for the copy and runs on afterwards.
  @Test
  void goroutineSnapshotFromTheSidecar() throws IOException {
    try (GoTarget target = new GoTarget(Security.DEFAULT)) {
      target.start();
      try (AgentSidecar agent = SchemaChecked.sidecar(target, Security.DEFAULT)) {
        agent.start();
        ExecResult snap = agent.attachproof("goroutines", "1", "--format", "json");
        assertEquals(0, snap.getExitCode(), snap::getStderr);
        JsonNode doc = JSON.readTree(snap.getStdout());
        assertEquals("attachproof.goroutines/v1", doc.path("schema").asText());
        assertEquals(1, doc.path("pid").asInt());
        assertEquals(Images.goVersionOf("go1.22"), doc.path("goVersion").asText());
        assertTrue(doc.path("stopped").asBoolean());
        List<String> reasons = new ArrayList<>();
        for (JsonNode g : doc.path("goroutines")) {
          if (g.path("frames").size() > 0 && g.path("frames").get(g.path("frames").size() - 1)
              .path("function").asText().equals("main.parked")) {
            reasons.add(g.path("waitReason").asText());
            assertEquals("main.main", g.path("createdBy").path("function").asText());
          }
        }
        assertEquals(8, reasons.size(), () -> "parked goroutines: " + doc);
        assertEquals(3, reasons.stream().filter("chan receive"::equals).count());
        assertEquals(3, reasons.stream().filter("select"::equals).count());
        assertEquals(2, reasons.stream().filter("sleep"::equals).count());
        assertTrue(target.isRunning(), "the target runs on after the snapshot");
        // And it is not left traced: a second doctor attaches again.
        assertEquals("attachable", agent.doctor(1).verdict());
      }
    }
  }

  static Stream<String> goVersions() {
    return Images.goTargetTags().stream();
  }

  // Every Go toolchain under test (Debian's 1.19, 1.22.0, PATH's go): the proof reads the
  // target's Go version and its goroutines out of its memory (8 parked + main + os/signal's loop, as
  // Go's dump counts them: the runtime's own and dead ones are counted apart).
  @ParameterizedTest(name = "{0}")
  @MethodSource("goVersions")
  void proofReadsEachGoVersion(String tag) {
    assertTrue(Images.goTargetTags().size() >= 3, "three toolchains at least");
    try (GoTarget target = new GoTarget(Images.goTarget(tag), Security.DEFAULT)) {
      target.start();
      try (AgentSidecar agent = SchemaChecked.sidecar(target, Security.DEFAULT)) {
        agent.start();
        DoctorReport r = agent.doctor(1);
        assertEquals("attachable", r.verdict(), r::toString);
        assertEquals(Images.goVersionOf(tag), r.proof().path("goVersion").asText());
        assertTrue(r.proof().path("goroutines").asInt() >= 10, r::toString);
      }
    }
  }

  // The agent inside the target's own container (`docker exec` into it): same PID namespace,
  // same uid (root), same capabilities and seccomp filter as the target: allowed, as in the
  // sidecar with defaults; process_vm_readv is still refused by Docker's default profile.
  @Test
  void agentInsideTheTargetsContainer() {
    try (GenericContainer<?> both = new GenericContainer<>(Images.AGENT_WITH_TARGET)
        .withNetworkMode("none")
        .withLabel(Images.LABEL, "agent-with-target")
        .waitingFor(Wait.forLogMessage("READY pid=1 .*\\n", 1))) {
      both.start();
      ExecResult result;
      try {
        result = both.execInContainer("attachproof", "doctor", "1", "--json");
      } catch (IOException e) {
        throw new IllegalStateException(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
      DoctorReport r = SchemaChecked.doctorReport(result.getExitCode(), result.getStdout(), result.getStderr());
      assertEquals("attachable", r.verdict(), r::toString);
      assertEquals(r.verdict(), r.predicted());
      assertFalse(r.contradiction());
      assertEquals(0, r.exitCode());
      assertEquals(List.of(), r.checksWith("fail"));
      // The binary is visible in our own mount namespace this time.
      assertEquals("pass", r.status("target.binary"), r::toString);
      assertEquals("warn", r.status("seccomp.process_vm_readv"));
    }
  }
}
