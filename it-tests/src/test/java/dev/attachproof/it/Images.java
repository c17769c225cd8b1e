package dev.attachproof.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.attachproof.testcontainers.AgentImage;
import dev.attachproof.testcontainers.AgentSidecar;
import org.junit.jupiter.api.Assumptions;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.utility.DockerImageName;

/**
 * The locally built images, and the one call that makes sure they exist and hold the current
 * agent jar: {@code containers/build-images.sh}, once per JVM (idempotent, cached by Docker).
 * No image is ever pulled: each name is a local tag, and Testcontainers only pulls a missing one.
 */
public final class Images {
  public static final DockerImageName AGENT = AgentImage.LOCAL;
  public static final DockerImageName AGENT_WITH_TARGET =
      DockerImageName.parse("attachproof/agent-with-target:local");
  public static final String GO_TARGET_REPOSITORY = "attachproof/go-target";
  /** Debian's Go 1.19, and Go 1.22.0 through GOTOOLCHAIN; PATH's go adds a third tag. */
  public static final DockerImageName GO_TARGET = goTarget("go1.22");

  /**
   * On every container the tests start (the library's sidecars carry {@link AgentSidecar#LABEL}).
   * Without Ryuk nothing reaps the containers of a test JVM that was killed; `docker rm -f $(docker
   * ps -aq --filter label=dev.attachproof.it) $(docker ps -aq --filter label=dev.attachproof.sidecar)` does.
   */
  public static final String LABEL = "dev.attachproof.it";

  private static boolean built;

  private Images() {}

  public static DockerImageName goTarget(String tag) {
    return DockerImageName.parse(GO_TARGET_REPOSITORY + ":" + tag);
  }

  /** Every go-target tag the build made (one per Go toolchain under test). */
  public static List<String> goTargetTags() {
    ensureBuilt();
    return DockerClientFactory.lazyClient().listImagesCmd()
        .withReferenceFilter(GO_TARGET_REPOSITORY).exec().stream()
        .flatMap(image -> image.getRepoTags() == null ? java.util.stream.Stream.<String>empty()
            : java.util.Arrays.stream(image.getRepoTags()))
        .filter(t -> t.startsWith(GO_TARGET_REPOSITORY + ":"))
        .map(t -> t.substring(GO_TARGET_REPOSITORY.length() + 1))
        .sorted().toList();
  }

  /** The Go version a go-target image was built with (its label). */
  public static String goVersionOf(String tag) {
    ensureBuilt();
    return DockerClientFactory.lazyClient().inspectImageCmd(goTarget(tag).asCanonicalNameString())
        .exec().getConfig().getLabels().get("dev.attachproof.go-version");
  }

  /**
   * Builds the images (or finds them current). Without a Docker engine the tests are skipped,
   * visibly, unless ATTACHPROOF_REQUIRE_DOCKER=1 (CI sets it), which makes that a failure.
   */
  public static synchronized void ensureBuilt() {
    if (built) {
      return;
    }
    if (!DockerClientFactory.instance().isDockerAvailable()) {
      if ("1".equals(System.getenv("ATTACHPROOF_REQUIRE_DOCKER"))) {
        throw new IllegalStateException("no Docker engine answers, and ATTACHPROOF_REQUIRE_DOCKER=1: "
            + "start one with containers/docker-engine.sh");
      }
      Assumptions.abort("no Docker engine answers (start one with containers/docker-engine.sh)");
    }
    Path script = repositoryRoot().resolve("containers/build-images.sh");
    // Its output goes to a file and then through System.out: surefire's forked JVM talks to
    // Maven over its own stdout, which a child must not write to directly.
    Path log = repositoryRoot().resolve("it-tests/target/build-images.log");
    try {
      Files.createDirectories(log.getParent());
      long start = System.nanoTime();
      Process build = new ProcessBuilder(script.toString()).redirectErrorStream(true)
          .redirectOutput(log.toFile()).start();
      if (!build.waitFor(10, TimeUnit.MINUTES)) {
        build.destroyForcibly();
        throw new IllegalStateException(script + " took more than 10 minutes (log: " + log + ")");
      }
      System.out.print(Files.readString(log));
      System.out.printf("build-images.sh: %.1f s%n", (System.nanoTime() - start) / 1e9);
      if (build.exitValue() != 0) {
        throw new IllegalStateException(script + " failed with exit " + build.exitValue() + " (log: " + log + ")");
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot run " + script, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while building the images", e);
    }
    built = true;
  }

  /** it-tests runs in its module directory under Maven; the repository root holds containers/. */
  static Path repositoryRoot() {
    return AgentImage.checkout().orElseThrow(() -> new IllegalStateException("no attachproof checkout: no "
        + "containers/build-images.sh above " + Path.of("").toAbsolutePath()));
  }

  /** One of containers/seccomp/*.json, by file name (e.g. "deny-ptrace.json"). */
  static Path seccompProfile(String file) {
    return repositoryRoot().resolve("containers/seccomp").resolve(file);
  }
}
