package dev.attachproof.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The published API is what people get: the library is installed into a private local repository
 * (under target/, never the shared ~/.m2), and it-tests/example, a Maven project of its own that
 * depends on {@code dev.attachproof:attachproof-testcontainers} by its coordinates, is built and
 * its tests run against it. The private repository takes what it lacks from the local repository
 * of the build that runs this test, named as a file:// remote repository ahead of Maven Central
 * (Maven 3.8 has no chained local repository), so nothing is downloaded where that build has
 * everything. The jar installed is the one maven-jar-plugin makes of this module's main classes,
 * with this module's pom and its parent.
 */
@Timeout(value = 15, unit = TimeUnit.MINUTES)
class ExampleProjectTest {
  private static final Pattern SUITE = Pattern.compile(
      "<testsuite [^>]*?tests=\"(\\d+)\" errors=\"(\\d+)\" skipped=\"(\\d+)\" failures=\"(\\d+)\"");

  @Test
  void theExampleProjectBuildsAndPassesAgainstTheInstalledArtifact() throws IOException, InterruptedException {
    Images.ensureBuilt();
    Path root = Images.repositoryRoot();
    Path work = root.resolve("it-tests/target/example-build");
    Path repository = work.resolve("repository");
    Files.createDirectories(repository);
    Path settings = work.resolve("settings.xml");
    String shared = System.getProperty("attachproof.mavenRepository");
    assertTrue(shared != null && Files.isDirectory(Path.of(shared)), "attachproof.mavenRepository: " + shared);
    // The build's local repository first, as a remote one (releases only: the SNAPSHOTs come from
    // the private repository); Maven Central after it, for what a fresh machine's build has not
    // fetched yet (the install plugin, which `mvn verify` never runs).
    String local = """
              <id>the-build-s-local-repository</id>
              <url>%s</url>
              <releases><enabled>true</enabled></releases>
              <snapshots><enabled>false</enabled></snapshots>
        """.formatted(Path.of(shared).toUri());
    Files.writeString(settings, """
        <settings>
          <profiles>
            <profile>
              <id>the-build-s-local-repository-first</id>
              <repositories><repository>%s</repository></repositories>
              <pluginRepositories><pluginRepository>%s</pluginRepository></pluginRepositories>
            </profile>
          </profiles>
          <activeProfiles><activeProfile>the-build-s-local-repository-first</activeProfile></activeProfiles>
        </settings>
        """.formatted(local, local));
    List<String> maven = List.of("mvn", "-B", "-ntp", "-s", settings.toString(), "-Dmaven.repo.local=" + repository);

    // The parent pom, then this module's jar and pom (the library's coordinates).
    mvn(work, maven, "org.apache.maven.plugins:maven-install-plugin:3.1.4:install-file",
        "-Dfile=" + root.resolve("pom.xml"), "-DpomFile=" + root.resolve("pom.xml"), "-Dpackaging=pom");
    mvn(work, maven, "-f", root.resolve("it-tests/pom.xml").toString(),
        "org.apache.maven.plugins:maven-jar-plugin:3.4.2:jar", "org.apache.maven.plugins:maven-install-plugin:3.1.4:install");
    Path installed = repository.resolve("dev/attachproof/attachproof-testcontainers");
    assertTrue(Files.isDirectory(installed), "nothing installed at " + installed);

    // The example, from clean, against them.
    Path example = root.resolve("it-tests/example");
    deleteTree(example.resolve("target"));
    String version = System.getProperty("attachproof.version");
    assertTrue(version != null, "attachproof.version: the project's version (it-tests/pom.xml sets it)");
    String output = mvn(work, maven, "-f", example.resolve("pom.xml").toString(), "-Dattachproof.version=" + version, "test");
    Path report = example.resolve("target/surefire-reports/TEST-com.example.GoServiceTest.xml");
    assertTrue(Files.isRegularFile(report), "no " + report + " after:\n" + output);
    Matcher m = SUITE.matcher(Files.readString(report));
    assertTrue(m.find(), Files.readString(report));
    assertEquals(List.of("2", "0", "0", "0"), List.of(m.group(1), m.group(2), m.group(3), m.group(4)),
        "tests, errors, skipped, failures of the example:\n" + output);
  }

  @Test
  void theReadmeShowsTheExampleAsItIs() throws IOException {
    Path root = Images.repositoryRoot();
    String source = Files.readString(root.resolve("it-tests/example/src/test/java/com/example/GoServiceTest.java"));
    String body = source.substring(source.indexOf("class GoServiceTest")).strip();
    assertTrue(Files.readString(root.resolve("README.md")).contains("```java\n" + body + "\n```\n"),
        "README.md's \"In your tests\" differs from it-tests/example's GoServiceTest");
  }

  /** Runs Maven with this JVM's JDK; fails with its output unless it exits 0, else returns it. */
  private static String mvn(Path dir, List<String> maven, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(maven);
    command.addAll(List.of(args));
    Path log = Files.createTempFile(dir, "mvn", ".log");
    ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
        .redirectOutput(log.toFile());
    pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
    Process p = pb.start();
    if (!p.waitFor(10, TimeUnit.MINUTES)) {
      p.destroyForcibly().waitFor();
      throw new AssertionError(String.join(" ", command) + " took more than 10 minutes:\n" + Files.readString(log));
    }
    String output = Files.readString(log);
    assertEquals(0, p.exitValue(), () -> String.join(" ", command) + " failed:\n" + output);
    return output;
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (var paths = Files.walk(dir)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
