package dev.attachproof.testcontainers;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.HostConfig;
import org.testcontainers.DockerClientFactory;

/**
 * Whether this Docker engine can start a --privileged container, and what stands in for it when
 * it cannot. Docker 20.10 gives a privileged container every capability the kernel knows, and
 * runc refuses to start one ("unable to apply caps: operation not permitted") when dockerd itself
 * lacks one of them in its bounding set: on our CI machine root has no CAP_SYS_RESOURCE. There the
 * sidecars use `--cap-add ALL --cap-drop <the missing ones> --security-opt seccomp=unconfined`: for
 * ptrace, the same as --privileged (every capability that can be had, no seccomp filter).
 */
final class PrivilegedSupport {
  static final String EQUIVALENT = "--privileged equivalent (--cap-add ALL less what dockerd lacks, seccomp=unconfined)";
  private static Boolean starts;

  private PrivilegedSupport() {}

  /**
   * Tried once per JVM, with the image of the first privileged container asked for: runc applies
   * the capabilities before it looks for the program, so an image without {@code true} still
   * answers (its failure to find the program is not the engine's refusal).
   */
  static synchronized boolean engineStartsPrivileged(String image) {
    if (starts == null) {
      DockerClient docker = DockerClientFactory.lazyClient();
      String id = docker.createContainerCmd(image).withEntrypoint("true").withCmd(List.of())
          .withHostConfig(HostConfig.newHostConfig().withPrivileged(true).withNetworkMode("none")).exec().getId();
      try {
        docker.startContainerCmd(id).exec();
        starts = true;
      } catch (RuntimeException e) {
        starts = !String.valueOf(e.getMessage()).contains("unable to apply caps");
        if (!starts) {
          System.out.println("this Docker engine cannot start --privileged containers (" + e.getMessage().strip()
              + "): the sidecars use " + EQUIVALENT + " with " + capabilitiesTheEngineLacks() + " dropped");
        }
      } finally {
        docker.removeContainerCmd(id).withForce(true).exec();
      }
    }
    return starts;
  }

  /** Whether an earlier try found that this engine cannot start privileged containers. */
  static synchronized boolean privilegedKnownToFail() {
    return starts != null && !starts;
  }

  /** Capabilities Docker knows that are missing from this machine's bounding set (dockerd runs here). */
  static List<Capability> capabilitiesTheEngineLacks() {
    long bounding;
    try {
      bounding = Files.readAllLines(Path.of("/proc/self/status")).stream()
          .filter(l -> l.startsWith("CapBnd:")).map(l -> Long.parseUnsignedLong(l.substring(7).strip(), 16))
          .findFirst().orElseThrow();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    // <linux/capability.h> numbers, for the capabilities docker-java names.
    String[] names = {"CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID",
        "SETUID", "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW",
        "IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT",
        "SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE",
        "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM",
        "BLOCK_SUSPEND", "AUDIT_READ"};
    List<Capability> lacking = new ArrayList<>();
    for (int bit = 0; bit < names.length; bit++) {
      if ((bounding & (1L << bit)) == 0) {
        lacking.add(Capability.valueOf(names[bit]));
      }
    }
    return lacking;
  }
}
