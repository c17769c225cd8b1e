package dev.attachproof.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** The agent's jar, as `mvn verify` builds it before this module, and the JDK modules it needs. */
record AgentJar(Path path) {
    private static final String JDK = "the test's own JDK provides jdeps and jlink";

    static AgentJar of(Path repo) {
        Path jar = repo.resolve("agent/target/attachproof.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: `mvn verify` builds it before this module; "
                    + "alone: mvn -pl native-bindings,agent package -DskipTests");
        }
        return new AgentJar(jar);
    }

    /** The modules jdeps finds the jar needs, comma-separated ("java.base,java.logging"). */
    String moduleDeps(Path workDir) throws IOException, InterruptedException {
        return Command.run(workDir, Map.of(), Duration.ofMinutes(3), JDK,
                List.of(jdkTool("jdeps"), "--print-module-deps", path.toString())).strip();
    }

    /** A tool of the JDK the test runs on. */
    static String jdkTool(String name) {
        return Path.of(System.getProperty("java.home"), "bin", name).toString();
    }
}
