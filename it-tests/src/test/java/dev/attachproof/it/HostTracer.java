package dev.attachproof.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;

/**
 * A debugger on the host holding a container's process: `strace -p PID` from this JVM's PID
 * namespace (the engine's, where the container's processes have pids too), ready once strace
 * says it attached (PTRACE_SEIZE; the target runs on, traced). Closing it detaches.
 */
final class HostTracer implements AutoCloseable {
  private final Process strace;

  private HostTracer(Process strace) {
    this.strace = strace;
  }

  /** Traces {@code hostPid}; aborts the test (visibly) where strace or the pid is not here. */
  static HostTracer attach(long hostPid) throws IOException, InterruptedException {
    Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/strace")), "strace is not installed (apt-get install strace)");
    Assumptions.assumeTrue(Files.exists(Path.of("/proc/" + hostPid)),
        "the container's pid " + hostPid + " is not in this JVM's PID namespace (a remote Docker engine?)");
    Process p = new ProcessBuilder("/usr/bin/strace", "-p", Long.toString(hostPid), "-o", "/dev/null").start();
    BufferedReader err = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8));
    String line = err.readLine();   // "strace: Process PID attached", or why not
    if (line == null || !line.contains("attached")) {
      p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      throw new IllegalStateException("strace -p " + hostPid + " did not attach: " + line);
    }
    Thread.ofPlatform().daemon(true).start(() -> {
      try {
        err.transferTo(java.io.Writer.nullWriter());
      } catch (IOException ignored) {
        // strace ended
      }
    });
    return new HostTracer(p);
  }

  /** Detaches: SIGTERM makes strace detach and exit. */
  @Override
  public void close() throws InterruptedException {
    strace.destroy();
    if (!strace.waitFor(10, TimeUnit.SECONDS)) {
      strace.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
    }
  }
}
