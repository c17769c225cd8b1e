package dev.attachproof.testcontainers;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.testcontainers.DockerClientFactory;
import org.testcontainers.utility.DockerImageName;

/**
 * The agent image the sidecars run. Either one the user names ({@link #named}, or the system
 * property {@value #PROPERTY}, or the environment variable {@value #ENVIRONMENT}), used as named
 * (Testcontainers pulls it when it is missing, as for any image), or the local build
 * {@code attachproof/agent:local}, which is built when missing from an attachproof checkout with
 * {@code containers/build-images.sh agent} (no registry: the image is assembled from the host's
 * JDK and the agent jar, see containers/agent/Dockerfile). The checkout is the system property
 * {@value #REPOSITORY_PROPERTY}, else {@value #REPOSITORY_ENVIRONMENT}, else the first directory
 * above the working directory that holds {@code containers/build-images.sh}.
 */
public final class AgentImage {
  /** The tag containers/build-images.sh gives the agent image. */
  public static final DockerImageName LOCAL = DockerImageName.parse("attachproof/agent:local");
  public static final String PROPERTY = "attachproof.agentImage";
  public static final String ENVIRONMENT = "ATTACHPROOF_AGENT_IMAGE";
  public static final String REPOSITORY_PROPERTY = "attachproof.repo";
  public static final String REPOSITORY_ENVIRONMENT = "ATTACHPROOF_REPO";

  private static final Object BUILD_LOCK = new Object();

  private final DockerImageName name;
  private final boolean builtHere;

  private AgentImage(DockerImageName name, boolean builtHere) {
    this.name = name;
    this.builtHere = builtHere;
  }

  /** An image the user built or publishes: used as named, never built here. */
  public static AgentImage named(String image) {
    return new AgentImage(DockerImageName.parse(image), false);
  }

  /** {@code attachproof/agent:local}, built from an attachproof checkout when it is missing. */
  public static AgentImage local() {
    return new AgentImage(LOCAL, true);
  }

  /** The local build under another tag (build-images.sh's AGENT_TAG), built when it is missing. */
  public static AgentImage builtAs(String tag) {
    return new AgentImage(DockerImageName.parse(tag), true);
  }

  /** The image named by {@value #PROPERTY} or {@value #ENVIRONMENT}, else {@link #local()}. */
  public static AgentImage configured() {
    String named = System.getProperty(PROPERTY, System.getenv(ENVIRONMENT));
    return named == null || named.isBlank() ? local() : named(named.strip());
  }

  /** The image's name, after making sure a locally built one exists. */
  public DockerImageName resolve() {
    if (builtHere) {
      synchronized (BUILD_LOCK) {
        if (!present()) {
          build();
        }
      }
    }
    return name;
  }

  public DockerImageName name() {
    return name;
  }

  private boolean present() {
    try {
      DockerClientFactory.lazyClient().inspectImageCmd(name.asCanonicalNameString()).exec();
      return true;
    } catch (com.github.dockerjava.api.exception.NotFoundException e) {
      return false;
    }
  }

  private void build() {
    Path root = checkout().orElseThrow(() -> new IllegalStateException("the agent image " + name
        + " is missing, and no attachproof checkout was found to build it from: set -D" + REPOSITORY_PROPERTY
        + "=DIR (or " + REPOSITORY_ENVIRONMENT + ") to a clone of attachproof, or name an agent image with -D"
        + PROPERTY + "=IMAGE (or " + ENVIRONMENT + ", or AgentImage.named)"));
    Path script = root.resolve("containers/build-images.sh");
    try {
      Path log = Files.createTempFile("attachproof-build-images", ".log");
      // The output goes to a file: under surefire a child must not write to the forked JVM's stdout.
      ProcessBuilder pb = new ProcessBuilder(script.toString(), "agent").redirectErrorStream(true)
          .redirectOutput(log.toFile());
      pb.environment().put("AGENT_TAG", name.asCanonicalNameString());
      Process build = pb.start();
      if (!build.waitFor(10, TimeUnit.MINUTES)) {
        build.destroyForcibly();
        throw new IllegalStateException(script + " agent took more than 10 minutes (log: " + log + ")");
      }
      if (build.exitValue() != 0) {
        throw new IllegalStateException(script + " agent failed with exit " + build.exitValue() + ":\n"
            + Files.readString(log));
      }
      Files.delete(log);
    } catch (IOException e) {
      throw new IllegalStateException("cannot run " + script, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while building the agent image", e);
    }
    if (!present()) {
      throw new IllegalStateException(script + " agent succeeded, yet there is no image " + name);
    }
  }

  /** The attachproof checkout the images are built from, when there is one. */
  public static Optional<Path> checkout() {
    String named = System.getProperty(REPOSITORY_PROPERTY, System.getenv(REPOSITORY_ENVIRONMENT));
    if (named != null && !named.isBlank()) {
      Path p = Path.of(named.strip()).toAbsolutePath().normalize();
      return Files.isRegularFile(p.resolve("containers/build-images.sh")) ? Optional.of(p) : Optional.empty();
    }
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isRegularFile(p.resolve("containers/build-images.sh"))) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  @Override
  public String toString() {
    return name.asCanonicalNameString();
  }
}
