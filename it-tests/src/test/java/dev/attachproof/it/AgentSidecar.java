package dev.attachproof.it;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import dev.attachproof.testing.Schemas;
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

  public AgentSidecar(GenericContainer<?> target, Security security) {
    this(Images.AGENT, "container:" + target.getContainerId(), security);
  }

  AgentSidecar(DockerImageName image, String pidMode, Security security) {
    super(image);
    withNetworkMode("none");
    withLabel(Images.LABEL, "agent-sidecar");
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

  /** `attachproof doctor PID --json`, parsed, with its exit status. */
  public DoctorReport doctor(int pid) {
    return DoctorReport.parse(attachproof("doctor", Integer.toString(pid), "--json"));
  }

  /** Runs `attachproof ARGS...` in the sidecar; a JSON document it prints is checked against its schema. */
  public ExecResult attachproof(String... args) {
    List<String> cmd = new ArrayList<>(List.of("attachproof"));
    cmd.addAll(List.of(args));
    try {
      ExecResult r = execInContainer(cmd.toArray(String[]::new));
      // The contract, on every run: a JSON document printed is valid against the schema it names.
      Schemas.assertValidIfDocument(r.getStdout());
      return r;
    } catch (IOException e) {
      throw new IllegalStateException("docker exec attachproof failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
