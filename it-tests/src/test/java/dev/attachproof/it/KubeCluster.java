package dev.attachproof.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.attachproof.testing.Schemas;
import org.junit.jupiter.api.Assumptions;

/**
 * The one-node Kubernetes cluster of containers/k8s/cluster/cluster.sh (etcd, kube-apiserver,
 * kube-controller-manager, kube-scheduler, a containerd of its own and a kubelet, v1.34.4), up for
 * one test class, with the project's images imported, and the cluster's own kubectl to talk to it.
 * Needs root and Docker (the images come from the Docker engine); without them the class is skipped,
 * visibly, unless ATTACHPROOF_REQUIRE_DOCKER=1 (CI), which makes that a failure.
 */
final class KubeCluster implements AutoCloseable {
  /** What kubectl said: its exit status, standard output and standard error. */
  record Result(int exit, String out, String err) {
    String both() { return out + err; }
  }

  /**
   * Threads that drain kubectl's pipes. Not the common pool: on two cores it has one thread, which
   * a port-forward's endless output would hold, and every later drain would wait behind it.
   */
  private static final java.util.concurrent.ExecutorService PIPES = java.util.concurrent.Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "kubectl-pipe");
    t.setDaemon(true);
    return t;
  });

  static final List<String> IMAGES = List.of("attachproof/pause:local", "attachproof/agent:local",
      "attachproof/go-stacks:go1.22");
  private static final Path CLUSTER = Images.repositoryRoot().resolve("containers/k8s/cluster");

  final Path bin;
  final Path kubeconfig;
  /** Seconds from `cluster.sh up` to a Ready node with its default service account. */
  final double startSeconds;

  private KubeCluster(Path bin, Path kubeconfig, double startSeconds) {
    this.bin = bin;
    this.kubeconfig = kubeconfig;
    this.startSeconds = startSeconds;
  }

  static KubeCluster up() throws IOException, InterruptedException {
    if (!"root".equals(System.getProperty("user.name"))) {
      if ("1".equals(System.getenv("ATTACHPROOF_REQUIRE_DOCKER"))) {
        throw new IllegalStateException("the cluster test needs root (containerd, the kubelet, cgroups)");
      }
      Assumptions.abort("the cluster test needs root (containerd, the kubelet, cgroups)");
    }
    Images.ensureBuilt();
    // A cold build of the Kubernetes programs takes 4 to 20 minutes (cached per machine after).
    long t0 = System.nanoTime();
    Path bin = Path.of(script(Duration.ofMinutes(40), "build-binaries.sh").strip());
    System.out.printf("k8s binaries in %s (%.1f s)%n", bin, (System.nanoTime() - t0) / 1e9);
    long t1 = System.nanoTime();
    Path kubeconfig = Path.of(script(Duration.ofMinutes(5), "cluster.sh", "up").strip());
    double start = (System.nanoTime() - t1) / 1e9;
    System.out.printf("cluster up in %.1f s%n", start);
    List<String> importArgs = new ArrayList<>(List.of("cluster.sh", "import"));
    importArgs.addAll(IMAGES);
    script(Duration.ofMinutes(5), importArgs.toArray(String[]::new));
    return new KubeCluster(bin, kubeconfig, start);
  }

  /** Images from the Docker engine into the cluster's containerd (`cluster.sh import`). */
  void importImages(String... images) throws IOException, InterruptedException {
    List<String> args = new ArrayList<>(List.of("cluster.sh", "import"));
    args.addAll(List.of(images));
    script(Duration.ofMinutes(5), args.toArray(String[]::new));
  }

  /**
   * A shell command that keeps running (`kubectl port-forward`), with the cluster's kubectl on
   * PATH, started once a line of its output matches {@code ready}; its output after that is drained.
   */
  Process startedWhen(String shellCommand, Pattern ready) throws IOException {
    ProcessBuilder pb = new ProcessBuilder("sh", "-c", shellCommand).redirectErrorStream(true);
    pb.environment().put("PATH", bin + ":" + System.getenv("PATH"));
    pb.environment().put("KUBECONFIG", kubeconfig.toString());
    Process p = pb.start();
    BufferedReader lines = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    CompletableFuture<Void> seen = CompletableFuture.runAsync(() -> {
      StringBuilder before = new StringBuilder();
      try {
        for (String line; (line = lines.readLine()) != null; ) {
          if (ready.matcher(line).find()) {
            return;
          }
          before.append(line).append('\n');
        }
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
      throw new IllegalStateException(shellCommand + " ended: " + before);
    }, PIPES);
    try {
      seen.get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      p.destroyForcibly();
      throw new IllegalStateException(shellCommand + " did not get ready", e);
    }
    CompletableFuture.runAsync(() -> drain(p.getInputStream()), PIPES);
    return p;
  }

  private static String script(Duration timeout, String... argv) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(argv));
    command.set(0, CLUSTER.resolve(argv[0]).toString());
    return Command.run(CLUSTER, Map.of(), timeout,
        "apt-get install etcd-server containerd runc containernetworking-plugins openssl (.ci/run does)", command);
  }

  /** kubectl ARGS with STDIN (null: none), whatever its exit status. */
  Result kubectlWithInput(String stdin, List<String> args) throws IOException, InterruptedException {
    List<String> argv = new ArrayList<>(List.of(bin.resolve("kubectl").toString(), "--kubeconfig", kubeconfig.toString()));
    argv.addAll(args);
    return run(argv, stdin, Map.of());
  }

  /** A command with the cluster's kubectl first on PATH and its kubeconfig in KUBECONFIG (the plugin's way). */
  Result withKubectlOnPath(List<String> argv, Map<String, String> env) throws IOException, InterruptedException {
    var all = new java.util.HashMap<>(env);
    all.put("PATH", bin + ":" + all.getOrDefault("PATH", System.getenv("PATH")));
    all.putIfAbsent("KUBECONFIG", kubeconfig.toString());
    return run(argv, null, all);
  }

  private static Result run(List<String> argv, String stdin, Map<String, String> env) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(argv);
    pb.environment().putAll(env);
    Process p = pb.start();
    CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> drain(p.getInputStream()), PIPES);
    CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> drain(p.getErrorStream()), PIPES);
    try (var in = p.getOutputStream()) {
      if (stdin != null) {
        in.write(stdin.getBytes(StandardCharsets.UTF_8));
      }
    }
    if (!p.waitFor(3, TimeUnit.MINUTES)) {
      p.destroyForcibly().waitFor();
      throw new IllegalStateException(String.join(" ", argv) + " did not finish within 3 minutes");
    }
    String stdout = out.join();
    // kubectl exec ... attachproof, and the plugin: a JSON document printed is valid against the schema it names.
    Schemas.assertValidIfDocument(stdout);
    return new Result(p.exitValue(), stdout, err.join());
  }

  private static String drain(java.io.InputStream in) {
    try (in) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(unreadable: " + e.getMessage() + ")";
    }
  }

  Result kubectl(String... args) throws IOException, InterruptedException {
    return kubectlWithInput(null, List.of(args));
  }

  /** kubectl ARGS, which must succeed; its standard output. */
  String ok(String... args) throws IOException, InterruptedException {
    Result r = kubectl(args);
    if (r.exit() != 0) {
      throw new AssertionError("kubectl " + String.join(" ", args) + " exited " + r.exit() + ": " + r.both());
    }
    return r.out();
  }

  /** kubectl apply of MANIFEST in NAMESPACE (null: the manifest's own), whatever the answer. */
  Result apply(String namespace, String manifest) throws IOException, InterruptedException {
    List<String> args = new ArrayList<>();
    if (namespace != null) {
      args.addAll(List.of("-n", namespace));
    }
    args.addAll(List.of("apply", "-f", "-"));
    return kubectlWithInput(manifest, args);
  }

  /** A namespace with its Pod Security enforce level (created again if left over). */
  void namespace(String name, String enforce) throws IOException, InterruptedException {
    kubectl("delete", "namespace", name, "--ignore-not-found", "--wait=true");
    ok("create", "namespace", name);
    ok("label", "namespace", name, "pod-security.kubernetes.io/enforce=" + enforce);
  }

  /** The secret the agent's `serve --token-file` reads, in NAMESPACE; returns the token. */
  String tokenSecret(String namespace) throws IOException, InterruptedException {
    String token = java.util.HexFormat.of().formatHex(java.security.SecureRandom.getSeed(32));
    ok("-n", namespace, "create", "secret", "generic", "attachproof-token", "--from-literal=token=" + token);
    return token;
  }

  /** Waits, polling the API, until QUERY's JSONPath output satisfies DONE; returns that output. */
  String await(Duration limit, Predicate<String> done, String... getArgs) throws IOException, InterruptedException {
    long end = System.nanoTime() + limit.toNanos();
    String last = "";
    while (System.nanoTime() < end) {
      Result r = kubectl(getArgs);
      last = r.both();
      if (r.exit() == 0 && done.test(r.out())) {
        return r.out();
      }
      Thread.sleep(200);
    }
    throw new AssertionError("kubectl " + String.join(" ", getArgs) + " did not reach the expected state in "
        + limit + "; last: " + last);
  }

  /** The pid of one of the cluster's own programs (kube-apiserver, kubelet, …), as cluster.sh recorded it. */
  int pidOf(String program) throws IOException {
    Path dir = kubeconfig.getParent();
    return Integer.parseInt(Files.readString(dir.resolve("pids").resolve(program)).strip());
  }

  /** `kubectl port-forward` to a pod's PORT on a free local port, until closed. */
  final class PortForward implements AutoCloseable {
    private static final Pattern FORWARDING = Pattern.compile("Forwarding from 127\\.0\\.0\\.1:(\\d+) ->");
    final int localPort;
    private final Process process;

    PortForward(String namespace, String pod, int port) throws IOException {
      process = new ProcessBuilder(bin.resolve("kubectl").toString(), "--kubeconfig", kubeconfig.toString(),
          "-n", namespace, "port-forward", "pod/" + pod, ":" + port).redirectErrorStream(true).start();
      BufferedReader lines = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
      CompletableFuture<Integer> found = CompletableFuture.supplyAsync(() -> {
        try {
          StringBuilder seen = new StringBuilder();
          for (String line; (line = lines.readLine()) != null; ) {
            Matcher m = FORWARDING.matcher(line);
            if (m.find()) {
              return Integer.parseInt(m.group(1));
            }
            seen.append(line).append('\n');
          }
          throw new IllegalStateException("kubectl port-forward ended: " + seen);
        } catch (IOException e) {
          throw new IllegalStateException(e);
        }
      }, PIPES);
      try {
        localPort = found.get(30, TimeUnit.SECONDS);
      } catch (Exception e) {
        process.destroyForcibly();
        throw new IllegalStateException("kubectl port-forward to " + pod + ":" + port + " did not start", e);
      }
      // The rest of its output (a line per connection) must not fill the pipe.
      CompletableFuture.runAsync(() -> drain(process.getInputStream()), PIPES);
    }

    @Override
    public void close() {
      process.destroy();
    }
  }

  @Override
  public void close() throws IOException, InterruptedException {
    script(Duration.ofMinutes(2), "cluster.sh", "down");
  }
}
