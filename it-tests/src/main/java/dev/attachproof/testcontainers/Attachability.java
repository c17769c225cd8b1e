package dev.attachproof.testcontainers;

import org.testcontainers.containers.GenericContainer;

/**
 * Is the main process of a Testcontainers container attachable by a debugger running beside it?
 * Starts the agent image ({@link AgentImage#configured()}) as a sidecar in that container's PID
 * namespace (where the main process is pid 1), runs `attachproof doctor 1 --json` there with the
 * sidecar's security settings, stops the sidecar and returns the parsed report.
 *
 * <pre>{@code
 * try (var app = new GenericContainer<>(myImage)) {
 *   app.start();
 *   Attachability.assertAttachable(app, Security.DEFAULT.withCapSysPtrace());
 * }
 * }</pre>
 */
public final class Attachability {
  private Attachability() {}

  /** The doctor's report on the container's main process, from a sidecar with these settings. */
  public static DoctorReport check(GenericContainer<?> container, Security sidecar) {
    return check(container, sidecar, AgentImage.configured());
  }

  /** The same with a given agent image. */
  public static DoctorReport check(GenericContainer<?> container, Security sidecar, AgentImage image) {
    requireRunning(container);
    try (AgentSidecar agent = new AgentSidecar(image, container, sidecar)) {
      agent.start();
      return agent.doctor(1);
    }
  }

  /**
   * Asserts the main process is attachable from a sidecar with these settings (the doctor's
   * verdict, and the kernel let the proof attach), and returns the report; the failure message
   * names each failing check with its summary, evidence and remedy.
   */
  public static DoctorReport assertAttachable(GenericContainer<?> container, Security sidecar) {
    DoctorReport report = check(container, sidecar);
    if (report.exitCode() != 0 || !report.verdict().equals("attachable") || !report.proofOk()) {
      throw new AssertionError("the main process of " + container.getDockerImageName()
          + " is not attachable from a sidecar with " + sidecar + ": " + report);
    }
    return report;
  }

  /** The same from a sidecar started the way `docker run --pid=container:ID` starts one. */
  public static DoctorReport assertAttachable(GenericContainer<?> container) {
    return assertAttachable(container, Security.DEFAULT);
  }

  static void requireRunning(GenericContainer<?> container) {
    if (!container.isRunning()) {
      throw new IllegalArgumentException("the container " + container.getDockerImageName()
          + " is not running: start it first");
    }
  }
}
