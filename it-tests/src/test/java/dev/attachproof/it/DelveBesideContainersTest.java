package dev.attachproof.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.attachproof.testcontainers.AgentSidecar;
import dev.attachproof.testcontainers.Security;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.attachproof.testing.AgentCli;
import dev.attachproof.testing.DelveBuild;
import dev.attachproof.testing.DlvDap;
import dev.attachproof.testing.LaunchConfigurations;
import dev.attachproof.testing.Schemas;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.testcontainers.containers.BindMode;
import org.testcontainers.containers.Container.ExecResult;

/**
 * Delve beside a Go program in a container, made for real: `attachproof dap` run in the agent's
 * sidecar (its Delve attaches over DAP as VS Code's would, in the target's PID namespace), and the
 * remote configuration `attachproof vscode` prints, checked by starting Delve exactly as printed
 * and attaching to it over DAP as VS Code does. The Delve is 1.25.2 built statically, since the
 * fixture image is FROM scratch.
 */
class DelveBesideContainersTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String DLV_IN_SIDECAR = "/usr/local/bin/dlv";
  private static Path dlv;

  @TempDir
  Path temp;

  @BeforeAll
  static void images() throws Exception {
    Images.ensureBuilt();
    dlv = DelveBuild.staticDlv();
  }

  // The agent as a sidecar with the default security (root, Docker's capabilities and seccomp
  // profile: what the goroutine snapshot uses too): Delve attaches to pid 1 over DAP, lists the
  // target's goroutines, and lets go; the target runs on, and the doctor can attach again.
  @Test
  void dapFromTheSidecarAttachesAsVsCodeWould() throws Exception {
    try (GoTarget target = new GoTarget(Security.DEFAULT)) {
      target.start();
      try (AgentSidecar agent = SchemaChecked.sidecar(target, Security.DEFAULT)) {
        agent.withFileSystemBind(dlv.toString(), DLV_IN_SIDECAR, BindMode.READ_ONLY);
        agent.start();
        ExecResult r = agent.attachproof("dap", "1", "--dlv", DLV_IN_SIDECAR, "--json");
        Schemas.assertValid(r.getStdout());
        JsonNode doc = JSON.readTree(r.getStdout());
        assertEquals(0, r.getExitCode(), r.getStdout() + r.getStderr());
        assertTrue(doc.get("ok").asBoolean(), doc::toString);
        assertEquals("1.25.2", doc.get("dlv").get("version").asText());
        List<String> names = new ArrayList<>();
        doc.get("threads").forEach(t -> names.add(t.get("name").asText()));
        // Delve names a goroutine by its innermost frame of user code: the 8 parked ones are 6 in
        // main.parked (chan receive, select) and 2 in time.Sleep.
        assertEquals(6, names.stream().filter(n -> n.endsWith(" main.parked")).count(), names::toString);
        assertEquals(2, names.stream().filter(n -> n.endsWith(" time.Sleep")).count(), names::toString);
        JsonNode release = doc.get("steps").get(doc.get("steps").size() - 1);
        assertEquals("release", release.get("request").asText());
        assertTrue(release.get("ok").asBoolean(), release::toString);
        assertTrue(target.isRunning());
        assertEquals("attachable", agent.doctor(1).verdict(), "untraced again: the doctor attaches");
      }
    }
  }

  // The sidecar as another uid than the target's, without CAP_SYS_PTRACE: Delve's own refusal
  // at the attach step (Delve compares the owner itself before it calls ptrace, so its words are
  // not the kernel's EPERM), joined to the doctor's why (credentials.uid).
  @Test
  void dapFromASidecarOfAnotherUserIsRefusedWithTheDoctorsWhy() throws Exception {
    try (GoTarget target = new GoTarget(Security.DEFAULT)) {
      target.start();
      try (AgentSidecar agent = SchemaChecked.sidecar(target, Security.DEFAULT.withUser("1000"))) {
        agent.withFileSystemBind(dlv.toString(), DLV_IN_SIDECAR, BindMode.READ_ONLY);
        agent.start();
        ExecResult r = agent.attachproof("dap", "1", "--dlv", DLV_IN_SIDECAR, "--json");
        assertEquals(1, r.getExitCode(), r.getStdout() + r.getStderr());
        Schemas.assertValid(r.getStdout());
        JsonNode doc = JSON.readTree(r.getStdout());
        assertFalse(doc.get("ok").asBoolean());
        JsonNode attach = null;
        for (JsonNode s : doc.get("steps")) {
          attach = s.get("request").asText().equals("attach") ? s : attach;
        }
        assertTrue(attach != null && !attach.get("ok").asBoolean(), doc::toString);
        assertEquals("Failed to attach: Could not attach to pid 1: current user does not own the process",
            attach.get("message").asText());
        List<String> why = new ArrayList<>();
        doc.get("explanation").forEach(e -> why.add(e.get("id").asText()));
        assertTrue(why.contains("credentials.uid"), why::toString);
        assertTrue(target.isRunning());
      }
    }
  }

  // `attachproof vscode` on the host, for a target in a Docker container: a remote attach, and
  // the command that starts Delve beside it; run as printed, then the printed configuration
  // sent to it over DAP as VS Code sends it: a breakpoint in the workspace binds (substitutePath
  // maps the checkout to the path the image's binary was built from). Removing the Delve
  // container lets the target go.
  @Test
  void theRemoteConfigurationAttachesToADelveStartedAsPrinted() throws Exception {
    Path ws = LaunchConfigurations.workspaceCopy(temp);
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    try (GoTarget target = new GoTarget(Security.DEFAULT)) {
      target.start();
      long hostPid = target.getContainerInfo().getState().getPidLong();
      AgentCli.Result r = AgentCli.run("vscode", Long.toString(hostPid), "--workspace", ws.toString(), "--dlv", dlv.toString(),
          "--port", Integer.toString(port), "--json");
      assertEquals(0, r.exit(), r.stdout() + r.stderr());
      Schemas.assertValid(r.stdout());
      JsonNode doc = JSON.readTree(r.stdout());
      assertEquals("remote", doc.get("mode").asText());
      assertEquals("docker", doc.get("container").get("runtime").asText());
      assertEquals(target.getContainerId(), doc.get("container").get("id").asText());
      assertEquals(1, doc.get("container").get("pidInside").asInt());
      JsonNode config = doc.get("configuration");
      assertEquals("127.0.0.1", config.get("host").asText());
      assertEquals(port, config.get("port").asInt());
      assertEquals(Images.repositoryRoot().resolve("agent/go").toString(), config.get("substitutePath").get(0).get("to").asText());
      List<String> commands = new ArrayList<>();
      doc.get("start").get("commands").forEach(c -> commands.add(c.asText()));
      assertEquals(1, commands.size(), commands::toString);
      assertTrue(commands.getFirst().contains(" " + Images.GO_TARGET.asCanonicalNameString() + " ")
          || commands.getFirst().contains(" " + target.getDockerImageName() + " "), commands::toString);
      String name = "attachproof-dlv-" + target.getContainerId().substring(0, 12);
      try {
        Command.run(temp, Map.of(), Duration.ofMinutes(1), "docker.io", List.of("sh", "-c", commands.getFirst()));
        try (DlvDap dap = DlvDap.connect(new InetSocketAddress("127.0.0.1", port))) {
          LaunchConfigurations.bindsAndShowsWorkspacePaths(dap, LaunchConfigurations.expand(config, ws), ws);
        }
      } finally {
        Command.run(temp, Map.of(), Duration.ofMinutes(1), "docker.io", List.of("docker", "rm", "-f", name));
      }
      assertTrue(target.isRunning());
      assertUntraced(hostPid);
    }
  }

  /** The target's TracerPid is 0 and it is not stopped, within 5 s of its tracer's end (the kernel detaches as the tracer exits). */
  private static void assertUntraced(long pid) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    String status = "";
    while (System.nanoTime() < deadline) {
      status = Files.readString(Path.of("/proc/" + pid + "/status"));
      if (status.contains("\nTracerPid:\t0\n") && !status.matches("(?s).*\nState:\t[tT].*")) {
        return;
      }
      Thread.sleep(20);
    }
    throw new AssertionError("pid " + pid + " still traced or stopped:\n" + status);
  }
}
