package dev.attachproof.it;

import java.util.ArrayList;
import java.util.List;

import dev.attachproof.testcontainers.Security;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

/**
 * A Go fixture container (attachproof/go-target:TAG, FROM scratch): agent/go/target as pid 1 of
 * its own PID namespace, started once it prints READY (its goroutines parked, no sleeps).
 */
public final class GoTarget extends GenericContainer<GoTarget> {

  public GoTarget(DockerImageName image, Security security, String... extraArgs) {
    super(image);
    List<String> args = new ArrayList<>(List.of("-hold", "forever", "-goroutines", "8"));
    args.addAll(List.of(extraArgs));
    withCommand(args.toArray(String[]::new));
    withNetworkMode("none");   // dockerd runs with --bridge=none here; no test needs a network
    withLabel(Images.LABEL, "go-target");
    withCreateContainerCmdModifier(security::applyTo);
    waitingFor(Wait.forLogMessage("READY pid=1 .*\\n", 1));
  }

  public GoTarget(Security security, String... extraArgs) {
    this(Images.GO_TARGET, security, extraArgs);
  }
}
