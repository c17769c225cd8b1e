package dev.attachproof.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

/**
 * The Go service of src/test/go/leaky (Go 1.22.0, static, FROM scratch, pid 1 of its container):
 * each request fans out to ten workers; with -leak nine of them never end. Requests and releases
 * are signals (the containers have no network), and each waits for the line the service prints
 * when it has done it, so the tests never sleep.
 */
final class LeakyService extends GenericContainer<LeakyService> {
  static final DockerImageName IMAGE = DockerImageName.parse("attachproof/leaky:go1.22");
  private static boolean built;

  LeakyService(String... flags) {
    super(image());
    withCommand(flags);
    withNetworkMode("none");
    withLabel(Images.LABEL, "leaky");
    waitingFor(Wait.forLogMessage("READY\\n", 1));
  }

  /** Request {@code n} (the first is 1): returns once the service printed {@code line} for it ("STARTED", "HANDLED"). */
  void request(int n, String line) {
    signal("USR1");
    awaitLine(line + " " + n + "( .*)?");
  }

  /** Lets the held workers of -hold work. */
  void release() {
    signal("USR2");
    awaitLine("RELEASED");
  }

  private void signal(String name) {
    DockerClientFactory.lazyClient().killContainerCmd(getContainerId()).withSignal(name).exec();
  }

  private void awaitLine(String regex) {
    Wait.forLogMessage(regex + "\\n", 1).withStartupTimeout(Duration.ofSeconds(30)).waitUntilReady(this);
  }

  private static synchronized DockerImageName image() {
    Images.ensureBuilt();
    if (!built) {
      Path ctx = Images.repositoryRoot().resolve("it-tests/target/leaky-image");
      Path go = Images.repositoryRoot().resolve("it-tests/src/test/go");
      try {
        Files.createDirectories(ctx);
        Path log = ctx.resolve("build.log");
        run(go, log, Map.of("CGO_ENABLED", "0", "GOTOOLCHAIN", "go1.22.0"), "go", "build", "-o", ctx.resolve("leaky").toString(), "./leaky");
        Files.writeString(ctx.resolve("Dockerfile"), "FROM scratch\nCOPY leaky /leaky\nENTRYPOINT [\"/leaky\"]\n");
        run(ctx, log, Map.of("DOCKER_BUILDKIT", "0"), "docker", "build", "-q", "-t", IMAGE.asCanonicalNameString(), ".");
      } catch (IOException e) {
        throw new IllegalStateException("cannot build " + IMAGE, e);
      }
      built = true;
    }
    return IMAGE;
  }

  /** Runs {@code command} in {@code dir}, its output in {@code log} (under target/, never the sources). */
  private static void run(Path dir, Path log, Map<String, String> env, String... command) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
        .redirectOutput(log.toFile());
    pb.environment().putAll(env);
    Process p = pb.start();
    try {
      if (!p.waitFor(5, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        throw new IllegalStateException(String.join(" ", command) + " took more than 5 minutes");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    if (p.exitValue() != 0) {
      throw new IllegalStateException(String.join(" ", command) + " failed: " + Files.readString(log));
    }
  }
}
