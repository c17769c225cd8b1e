package dev.attachproof.testcontainers;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

/**
 * The agent image as a sidecar in another container's PID namespace (`docker run
 * --pid=container:ID`, what a pod with shareProcessNamespace gives): it idles, and each command
 * runs in it with `docker exec`, which keeps the container's user, capabilities, seccomp profile
 * and no_new_privs. The other container's main process is pid 1 here.
 */
public final class AgentSidecar extends GenericContainer<AgentSidecar> {
  /** The label on every sidecar, with the value "agent-sidecar". */
  public static final String LABEL = "dev.attachproof.sidecar";

  private Consumer<String> documentCheck = document -> {};

  /** Beside {@code target}, with the {@link AgentImage#configured() configured} agent image. */
  public AgentSidecar(GenericContainer<?> target, Security security) {
    this(AgentImage.configured(), target, security);
  }

  public AgentSidecar(AgentImage image, GenericContainer<?> target, Security security) {
    this(image.resolve(), "container:" + target.getContainerId(), security);
  }

  /** With any PID mode: "container:ID", or "host" for a sidecar that sees the host's processes. */
  public AgentSidecar(DockerImageName image, String pidMode, Security security) {
    super(image);
    withNetworkMode("none");
    withLabel(LABEL, "agent-sidecar");
    withCreateContainerCmdModifier(cmd -> {
      cmd.withEntrypoint("/bin/sleep").withCmd("3600");
      cmd.getHostConfig().withPidMode(pidMode);
      security.applyTo(cmd);
    });
  }

  /**
   * The sidecar as a pod runs it: `attachproof serve` on its loopback (the address a pod's
   * containers share), started once it says it listens.
   */
  public AgentSidecar serving() {
    withCreateContainerCmdModifier(cmd -> cmd.withEntrypoint("attachproof").withCmd("serve", "--listen", "127.0.0.1:7070"));
    waitingFor(Wait.forLogMessage(".*attachproof serve: listening on.*", 1));
    return this;
  }

  /**
   * Each standard output of the agent that is a JSON document is handed to {@code check} (the
   * project's own tests validate every one against its schema).
   */
  public AgentSidecar withDocumentCheck(Consumer<String> check) {
    this.documentCheck = check;
    return this;
  }

  /** `attachproof doctor PID --json`, parsed, with its exit status. */
  public DoctorReport doctor(int pid) {
    ExecResult r = attachproof("doctor", Integer.toString(pid), "--json");
    return DoctorReport.parse(r.getExitCode(), r.getStdout(), r.getStderr());
  }

  /** `attachproof goroutines PID --format json`, parsed; fails when the agent could not take it. */
  public Goroutines goroutines(int pid) {
    ExecResult r = attachproof("goroutines", Integer.toString(pid), "--format", "json");
    if (r.getExitCode() != 0) {
      throw new IllegalStateException("attachproof goroutines " + pid + " failed with exit " + r.getExitCode()
          + ": " + r.getStderr().strip());
    }
    return Goroutines.parse(r.getStdout());
  }

  /** Runs `attachproof ARGS...` in the sidecar. */
  public ExecResult attachproof(String... args) {
    List<String> cmd = new ArrayList<>(List.of("attachproof"));
    cmd.addAll(List.of(args));
    try {
      ExecResult r = execInContainer(cmd.toArray(String[]::new));
      if (r.getStdout().stripLeading().startsWith("{")) {
        documentCheck.accept(r.getStdout());
      }
      return r;
    } catch (IOException e) {
      throw new IllegalStateException("docker exec attachproof failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
