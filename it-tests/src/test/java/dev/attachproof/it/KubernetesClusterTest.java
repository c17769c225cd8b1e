package dev.attachproof.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;

import dev.attachproof.testcontainers.DoctorReport;
import dev.attachproof.testcontainers.Security;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.attachproof.testing.AgentCli;
import dev.attachproof.testing.DelveBuild;
import dev.attachproof.testing.DlvDap;
import dev.attachproof.testing.GosOwnDump;
import dev.attachproof.testing.LaunchConfigurations;
import dev.attachproof.testing.Schemas;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The manifests of containers/k8s, as shipped, under a real kubelet (a one-node v1.34 cluster,
 * {@link KubeCluster}, up once for the class): the capabilities, seccomp profile, PID namespace
 * sharing and Pod Security admission a real cluster applies, and what attachproof says and proves
 * there. The app is agent/go/stacks (image attachproof/go-stacks:go1.22, stdin held open by the
 * kubelet), which prints its own runtime.Stack(all) on SIGUSR2: the agent's dump is compared with it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KubernetesClusterTest {
  private static final Path K8S = Images.repositoryRoot().resolve("containers/k8s");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String APP_IMAGE = "attachproof/go-stacks:go1.22";
  private static final Duration READY = Duration.ofSeconds(90);

  private KubeCluster cluster;

  @BeforeAll
  void up() throws IOException, InterruptedException {
    cluster = KubeCluster.up();
  }

  @AfterAll
  void down() throws IOException, InterruptedException {
    if (cluster != null) {
      cluster.close();
    }
  }

  // ---- the sidecar pod ----

  /**
   * sidecar-pod.yaml as shipped, the app image replaced by the test's: the agent sees the app
   * through shareProcessNamespace, /v1/doctor proves the attach, and /v1/goroutines prints what
   * the app's own runtime.Stack(all) prints, goroutine by goroutine.
   */
  @Test
  void sidecarAsShippedProvesTheAttachAndDumpsWhatGoDumps() throws Exception {
    String ns = shippedNamespace("sidecar-pod.yaml", "sidecar");
    String token = cluster.tokenSecret(ns);
    long t0 = System.nanoTime();
    Map<String, Object> pod = sidecarPod();
    applied(ns, pod);
    String name = name(pod);
    awaitReady(ns, name);
    double ready = (System.nanoTime() - t0) / 1e9;
    try (KubeCluster.PortForward pf = serving(ns, name, 7070)) {
      JsonNode ps = JSON.readTree(get(pf, token, "/v1/ps"));
      int pid = appPid(ps);
      JsonNode doctor = JSON.readTree(get(pf, token, "/v1/doctor?pid=" + pid));
      double firstAnswer = (System.nanoTime() - t0) / 1e9;
      System.out.printf("sidecar: pod Ready %.1f s after apply, first /v1/doctor answer %.1f s after apply%n", ready, firstAnswer);
      DoctorReport report = new DoctorReport(0, doctor, "");
      assertEquals("attachable", report.verdict(), report::toString);
      assertTrue(report.proofOk(), report::toString);
      assertEquals("pass", report.status("capability.sys_ptrace"), report::toString);

      String gos = appsOwnDump(ns, name, pid);
      String ours = get(pf, token, "/v1/goroutines?pid=" + pid + "&format=text");
      int compared = GosOwnDump.assertSame(withoutMinutes(gos), withoutMinutes(ours));
      assertTrue(compared >= 12, "compared " + compared + " goroutines");
    }
  }

  /**
   * The same pod with the security settings changed one way each: what the kernel then refuses
   * (or allows), proven by the attach, and blamed on the rule that decides.
   */
  static Stream<Arguments> sidecarVariants() {
    Consumer<Map<String, Object>> noSysPtrace = pod -> securityContext(pod, "attachproof").remove("capabilities");
    Consumer<Map<String, Object>> agentAsAppsUid = pod -> {
      // fsGroup: the token Secret's files (mode 0400) are root's otherwise, and the agent refuses to start.
      map(pod, "spec").put("securityContext", Map.of("fsGroup", 1000));
      Map<String, Object> sc = securityContext(pod, "attachproof");
      sc.put("runAsUser", 1000);
      sc.put("runAsGroup", 1000);
      sc.put("capabilities", Map.of("drop", List.of("ALL")));
    };
    Consumer<Map<String, Object>> appAsAnotherUid = agentAsAppsUid.andThen(pod -> {
      Map<String, Object> sc = securityContext(pod, "app");
      sc.put("runAsUser", 2000);
      sc.put("runAsGroup", 2000);
    });
    return Stream.of(
        Arguments.of("no-sys-ptrace", noSysPtrace, "not-attachable", "credentials.uid"),
        Arguments.of("agent-as-apps-uid", agentAsAppsUid, "attachable", null),
        Arguments.of("app-as-another-uid", appAsAnotherUid, "not-attachable", "credentials.uid"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("sidecarVariants")
  void sidecarVariant(String variant, Consumer<Map<String, Object>> change, String verdict, String failing)
      throws Exception {
    String ns = shippedNamespace("sidecar-pod.yaml", "sidecar-" + variant);
    cluster.tokenSecret(ns);
    Map<String, Object> pod = sidecarPod();
    change.accept(pod);
    applied(ns, pod);
    awaitReady(ns, name(pod));
    int pid = appPid(JSON.readTree(cluster.ok("-n", ns, "exec", name(pod), "-c", "attachproof", "--",
        "attachproof", "ps", "--json")));
    KubeCluster.Result r = cluster.kubectl("-n", ns, "exec", name(pod), "-c", "attachproof", "--",
        "attachproof", "doctor", String.valueOf(pid), "--json");
    DoctorReport report = SchemaChecked.doctorReport(r.exit(), r.out(), r.err());
    assertEquals(verdict, report.verdict(), report::toString);
    assertEquals(verdict, report.predicted(), report::toString);
    if (failing == null) {
      assertTrue(report.proofOk(), report::toString);
      assertEquals(0, report.exitCode(), report::toString);
    } else {
      assertEquals("EPERM", report.errno(), report::toString);
      assertEquals(List.of(failing), report.checksWith("fail"), report::toString);
      assertEquals(1, report.exitCode(), report::toString);
    }
  }

  // ---- the node-wide manifests ----

  /**
   * diagnostic-pod.yaml (hostPID, privileged): `ps` lists the node's Go programs, the cluster's
   * own among them, and the kubelet and the apiserver can be diagnosed and dumped.
   */
  @Test
  void diagnosticPodSeesAndDiagnosesTheNodesGoPrograms() throws Exception {
    String ns = shippedNamespace("diagnostic-pod.yaml", "diagnostic");
    Map<String, Object> pod = only(load("diagnostic-pod.yaml"), "Pod");
    map(pod, "spec").put("nodeName", "localhost");
    applied(ns, pod);
    awaitReady(ns, name(pod));
    List<String> exec = List.of("-n", ns, "exec", name(pod), "--", "attachproof");
    assertListsTheClusterPrograms(JSON.readTree(cluster.ok(concat(exec, "ps", "--json"))));
    assertKubeletAttachable(cluster.kubectl(concat(exec, "doctor", String.valueOf(cluster.pidOf("kubelet")), "--json")));
    JsonNode dump = JSON.readTree(cluster.ok(concat(exec, "goroutines", String.valueOf(cluster.pidOf("kube-apiserver")),
        "--format", "json")));
    assertTrue(dump.path("goroutines").size() > 100, "the apiserver runs hundreds of goroutines: " + dump.path("goroutines").size());
  }

  /**
   * daemonset.yaml (its own namespace, hostPID, CAP_SYS_PTRACE only, AppArmor unconfined): the
   * agent on the node proves an attach to the kubelet, through `serve` and through exec.
   */
  @Test
  void daemonSetAgentDiagnosesTheNodeWithSysPtraceAlone() throws Exception {
    String ns = deployDaemonSet();
    String pod = daemonSetPod(ns);
    assertListsTheClusterPrograms(JSON.readTree(cluster.ok("-n", ns, "exec", pod, "--", "attachproof", "ps", "--json")));
    assertKubeletAttachable(cluster.kubectl("-n", ns, "exec", pod, "--", "attachproof", "doctor",
        String.valueOf(cluster.pidOf("kubelet")), "--json"));
  }

  private String deployDaemonSet() throws Exception {
    List<Map<String, Object>> docs = load("daemonset.yaml");
    String ns = name(only(docs, "Namespace"));
    if (cluster.kubectl("get", "namespace", ns).exit() != 0) {
      for (Map<String, Object> doc : docs) {
        applied(null, doc);
        if ("Namespace".equals(doc.get("kind"))) {
          cluster.tokenSecret(ns);
        }
      }
    }
    cluster.ok("-n", ns, "rollout", "status", "daemonset/attachproof", "--timeout=90s");
    return ns;
  }

  private String daemonSetPod(String ns) throws IOException, InterruptedException {
    return cluster.ok("-n", ns, "get", "pods", "-l", "app.kubernetes.io/name=attachproof",
        "-o", "jsonpath={.items[0].metadata.name}").strip();
  }

  private void assertListsTheClusterPrograms(JsonNode ps) throws IOException {
    for (String program : List.of("kubelet", "kube-apiserver")) {
      int pid = cluster.pidOf(program);
      JsonNode p = process(ps, pid);
      assertEquals("go1.24.13", p.path("goVersion").asText(), program + ": " + p);
      assertEquals("attachable", p.path("predicted").asText(), program + ": " + p);
    }
  }

  private static void assertKubeletAttachable(KubeCluster.Result r) {
    DoctorReport report = SchemaChecked.doctorReport(r.exit(), r.out(), r.err());
    assertEquals("attachable", report.verdict(), report::toString);
    assertTrue(report.proofOk(), report::toString);
    assertEquals(0, r.exit(), report::toString);
  }

  // ---- kubectl debug ----

  /**
   * `kubectl debug POD --target=app --profile=P -- attachproof doctor 1`: an ephemeral container
   * in the app container's PID namespace (the app is pid 1), with what each profile gives it.
   */
  static Stream<Arguments> debugProfiles() {
    return Stream.of(
        // CAP_SYS_PTRACE added: the app's other uid does not matter.
        Arguments.of("general", null, 0, "attachable"),
        // Root with the runtime's default capabilities, which lack CAP_SYS_PTRACE: the uid differs.
        Arguments.of("baseline", null, 1, "not-attachable"),
        // runAsNonRoot: the agent image runs as root, so the kubelet does not start it at all.
        Arguments.of("restricted", null, -1, "container has runAsNonRoot and image will run as root"),
        // ... unless it runs as the app's own uid, which needs no capability at all.
        Arguments.of("restricted", "{\"securityContext\": {\"runAsUser\": 1000, \"runAsGroup\": 1000}}", 0, "attachable"));
  }

  @ParameterizedTest(name = "--profile={0} {1}")
  @MethodSource("debugProfiles")
  void kubectlDebugProfile(String profile, String custom, int exit, String expected) throws Exception {
    String ns = "debug-" + profile + (custom == null ? "" : "-custom");
    cluster.namespace(ns, "privileged");
    Map<String, Object> pod = appPod("app");
    applied(ns, pod);
    awaitReady(ns, "app");
    List<String> args = new ArrayList<>(List.of("-n", ns, "debug", "app", "--image=attachproof/agent:local",
        "--image-pull-policy=Never", "--target=app", "--profile=" + profile, "--container=doctor"));
    Path customFile = null;
    if (custom != null) {
      customFile = Files.createTempFile("attachproof-debug-", ".json");
      Files.writeString(customFile, custom);
      args.add("--custom=" + customFile);
    }
    args.addAll(List.of("--", "attachproof", "doctor", "1", "--json"));
    try {
      cluster.ok(args.toArray(String[]::new));
    } finally {
      if (customFile != null) {
        Files.delete(customFile);
      }
    }
    String jsonPath = "jsonpath={.status.ephemeralContainerStatuses[?(@.name==\"doctor\")].state}";
    JsonNode state = JSON.readTree(cluster.await(READY, s -> s.contains("terminated") || s.contains("CreateContainerConfigError"),
        "-n", ns, "get", "pod", "app", "-o", jsonPath));
    if (exit < 0) {
      assertTrue(state.path("waiting").path("message").asText().contains(expected), state::toString);
      return;
    }
    assertEquals(exit, state.path("terminated").path("exitCode").asInt(), state::toString);
    DoctorReport report = SchemaChecked.doctorReport(exit, cluster.ok("-n", ns, "logs", "app", "-c", "doctor"), "");
    assertEquals(expected, report.verdict(), report::toString);
    assertEquals(exit == 0, report.proofOk(), report::toString);
  }

  // ---- Pod Security admission ----

  /**
   * Each manifest in a namespace that enforces baseline or restricted: the pod is rejected (for the
   * DaemonSet, each pod it would create), with the words containers/k8s/README.md quotes; and the
   * manifest names the level it needs, which the other tests apply it under.
   */
  static Stream<Arguments> podSecurityCases() {
    return Stream.of("baseline", "restricted").flatMap(level -> Stream.of("sidecar-pod.yaml", "diagnostic-pod.yaml",
        "daemonset.yaml").map(file -> Arguments.of(file, level)));
  }

  @ParameterizedTest(name = "{0} under enforce={1}")
  @MethodSource("podSecurityCases")
  void podSecurityRejects(String file, String level) throws Exception {
    assertEquals("privileged", neededLevel(file), file);
    String ns = "pss-" + level + "-" + file.replace(".yaml", "");
    cluster.namespace(ns, level);
    List<Map<String, Object>> docs = load(file);
    String rejection;
    if (file.equals("daemonset.yaml")) {
      Map<String, Object> ds = only(docs, "DaemonSet");
      map(ds, "metadata").put("namespace", ns);
      KubeCluster.Result r = cluster.apply(null, JSON.writeValueAsString(ds));
      assertEquals(0, r.exit(), "a DaemonSet is admitted; PodSecurity warns, and rejects its pods: " + r.both());
      assertTrue(r.err().contains("would violate PodSecurity \"" + level + ":latest\""), r.both());
      String events = cluster.await(READY, s -> s.contains("FailedCreate"), "-n", ns, "get", "events",
          "--field-selector", "reason=FailedCreate", "-o", "jsonpath={.items[*].reason} {.items[0].message}");
      rejection = events.substring(events.indexOf("violates PodSecurity"));
    } else {
      Map<String, Object> pod = only(docs, "Pod");
      if (map(pod, "spec").containsKey("nodeName")) {
        map(pod, "spec").put("nodeName", "localhost");
      }
      KubeCluster.Result r = cluster.apply(ns, JSON.writeValueAsString(pod));
      assertNotEquals(0, r.exit(), "rejected: " + r.both());
      rejection = r.err().substring(r.err().indexOf("violates PodSecurity")).strip();
    }
    assertTrue(rejection.startsWith("violates PodSecurity \"" + level + ":latest\""), rejection);
    String readme = Files.readString(K8S.resolve("README.md"));
    assertTrue(readme.contains(rejection), "containers/k8s/README.md quotes the rejection of " + file
        + " under " + level + ":\n" + rejection);
  }

  // ---- --container and kubectl attachproof ----

  /**
   * The DaemonSet's agent names the app by the id Kubernetes gives its container
   * (status.containerStatuses[].containerID) and finds its main Go process among the host's.
   */
  @Test
  void daemonSetAgentFindsAContainerByItsKubernetesId() throws Exception {
    String agentNs = deployDaemonSet();
    String ns = "by-container-id";
    cluster.namespace(ns, "privileged");
    applied(ns, appPod("app"));
    awaitReady(ns, "app");
    String id = containerId(ns, "app", "app");
    KubeCluster.Result r = cluster.kubectl("-n", agentNs, "exec", daemonSetPod(agentNs), "--", "attachproof",
        "doctor", "--container", id, "--json");
    DoctorReport report = SchemaChecked.doctorReport(r.exit(), r.out(), r.err());
    assertEquals("attachable", report.verdict(), report::toString);
    assertEquals(id.substring(id.indexOf("://") + 3), report.json().path("container").path("id").asText(), report::toString);
    assertEquals("init", report.json().path("container").path("chosen").asText(), report::toString);
    assertEquals(report.json().path("pid").asInt(), report.json().path("container").path("pid").asInt());
  }

  /**
   * `kubectl attachproof doctor|goroutines POD` and `ps`, with the DaemonSet on the node: it runs the
   * agent there and says so.
   */
  @Test
  void pluginRunsTheAgentOfThePodsNode() throws Exception {
    deployDaemonSet();
    String ns = "plugin";
    cluster.namespace(ns, "privileged");
    applied(ns, appPod("app"));
    awaitReady(ns, "app");
    long t0 = System.nanoTime();
    KubeCluster.Result doctor = plugin(Map.of(), "doctor", "app", "-n", ns, "--json");
    System.out.printf("kubectl attachproof doctor: %.2f s round trip (via the DaemonSet)%n", (System.nanoTime() - t0) / 1e9);
    assertTrue(doctor.err().contains("via the DaemonSet's agent attachproof/"), doctor.err());
    DoctorReport report = SchemaChecked.doctorReport(doctor.exit(), doctor.out(), doctor.err());
    assertEquals("attachable", report.verdict(), report::toString);
    assertEquals(0, doctor.exit(), report::toString);

    KubeCluster.Result goroutines = plugin(Map.of(), "goroutines", "app", "-n", ns, "-c", "app");
    assertEquals(0, goroutines.exit(), goroutines::both);
    assertTrue(goroutines.out().contains("main.main"), goroutines.out());

    KubeCluster.Result ps = plugin(Map.of(), "ps", "--json");
    assertEquals(0, ps.exit(), ps::both);
    assertListsTheClusterPrograms(JSON.readTree(ps.out()));
  }

  /** Without a DaemonSet pod on the node, an ephemeral container with --profile=general, said so. */
  @Test
  void pluginFallsBackToAnEphemeralContainer() throws Exception {
    String ns = "plugin-ephemeral";
    cluster.namespace(ns, "privileged");
    applied(ns, appPod("app"));
    awaitReady(ns, "app");
    long t0 = System.nanoTime();
    KubeCluster.Result doctor = plugin(Map.of("ATTACHPROOF_NAMESPACE", "no-agent-here"), "doctor", "app", "-n", ns, "--json");
    System.out.printf("kubectl attachproof doctor: %.2f s round trip (via an ephemeral container)%n", (System.nanoTime() - t0) / 1e9);
    assertTrue(doctor.err().contains("via an ephemeral container"), doctor.err());
    DoctorReport report = SchemaChecked.doctorReport(doctor.exit(), doctor.out(), doctor.err());
    assertEquals("attachable", report.verdict(), report::toString);
    assertEquals(0, doctor.exit(), report::toString);
  }

  /**
   * Neither way allowed: Pod Security refuses the ephemeral container's CAP_SYS_PTRACE, or RBAC
   * refuses both exec and ephemeral containers: exit 2, kubectl's refusal, and what would allow it.
   */
  @Test
  void pluginSaysWhyNeitherWayIsAllowed() throws Exception {
    String ns = "plugin-baseline";
    cluster.namespace(ns, "baseline");
    Map<String, Object> pod = appPod("app");
    applied(ns, pod);
    awaitReady(ns, "app");
    KubeCluster.Result pss = plugin(Map.of("ATTACHPROOF_NAMESPACE", "no-agent-here"), "doctor", "app", "-n", ns);
    assertEquals(2, pss.exit(), pss::both);
    assertTrue(pss.err().contains("no attachproof DaemonSet pod runs on node localhost")
        && pss.err().contains("violates PodSecurity \"baseline:latest\"")
        && pss.err().contains("pod-security.kubernetes.io/enforce=privileged"), pss.err());

    String agentNs = deployDaemonSet();
    String viewerNs = "plugin-viewer";
    cluster.namespace(viewerNs, "privileged");
    applied(viewerNs, pod);
    awaitReady(viewerNs, "app");
    cluster.kubectl("delete", "clusterrolebinding", "attachproof-viewer", "--ignore-not-found");
    cluster.ok("create", "clusterrolebinding", "attachproof-viewer", "--clusterrole=view", "--user=attachproof-viewer");
    Path viewer = Files.createTempFile("attachproof-viewer-", ".kubeconfig");
    try {
      // The admin's credentials, impersonating a user who may only read (kubeconfig's `as`).
      Files.writeString(viewer, Files.readString(cluster.kubeconfig).replace("client-key:", "as: attachproof-viewer, client-key:"));
      KubeCluster.Result rbac = plugin(Map.of("KUBECONFIG", viewer.toString()), "doctor", "app", "-n", viewerNs);
      assertEquals(2, rbac.exit(), rbac::both);
      String last = rbac.err().strip().substring(rbac.err().strip().lastIndexOf('\n') + 1);
      assertTrue(last.startsWith("kubectl attachproof: cannot run the agent for pod " + viewerNs + "/app: kubectl exec into "
          + agentNs + "/") && last.contains("was refused, and the ephemeral container was refused: ")
          && last.contains("forbidden") && last.contains("RBAC"), rbac.err());
    } finally {
      Files.delete(viewer);
    }
  }

  private KubeCluster.Result plugin(Map<String, String> env, String... args) throws IOException, InterruptedException {
    List<String> argv = new ArrayList<>(List.of("kubectl", "attachproof"));
    argv.addAll(List.of(args));
    var all = new java.util.HashMap<>(env);
    all.put("PATH", K8S + ":" + System.getenv("PATH"));
    return cluster.withKubectlOnPath(argv, all);
  }

  private String containerId(String ns, String pod, String container) throws IOException, InterruptedException {
    return cluster.ok("-n", ns, "get", "pod", pod, "-o",
        "jsonpath={.status.containerStatuses[?(@.name==\"" + container + "\")].containerID}").strip();
  }

  // ---- VS Code's remote attach ----

  /**
   * `attachproof vscode --container` on the node for a pod's app: a remote attach, with the
   * kubectl commands that start Delve beside it, the pod, namespace and container named from the
   * kubelet's /var/log/containers links. Run as printed (an image holding a static Delve given
   * for DLV_IMAGE), the printed configuration attaches over DAP through the port-forward, as VS
   * Code's would, and a breakpoint set in the workspace's copy of the app's source binds.
   */
  @Test
  void vscodesRemoteConfigurationAttachesThroughKubectlDebug(@TempDir Path temp) throws Exception {
    String ns = "vscode-remote";
    cluster.namespace(ns, "privileged");
    applied(ns, appPod("app"));
    awaitReady(ns, "app");
    Path dlv = DelveBuild.staticDlv();
    String image = dlvImage(dlv, temp);
    Path ws = LaunchConfigurations.workspaceCopy(temp);
    int port;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      port = s.getLocalPort();
    }
    AgentCli.Result r = AgentCli.run("vscode", "--container", containerId(ns, "app", "app"), "--workspace", ws.toString(),
        "--dlv", dlv.toString(), "--port", Integer.toString(port), "--json");
    assertEquals(0, r.exit(), r.stdout() + r.stderr());
    Schemas.assertValid(r.stdout());
    JsonNode doc = JSON.readTree(r.stdout());
    assertEquals("remote", doc.get("mode").asText());
    assertEquals("kubernetes", doc.get("container").get("runtime").asText());
    assertEquals(JSON.readTree("{\"namespace\": \"" + ns + "\", \"name\": \"app\", \"container\": \"app\"}"),
        doc.get("container").get("pod"));
    List<String> commands = new ArrayList<>();
    doc.get("start").get("commands").forEach(c -> commands.add(c.asText()));
    assertEquals(List.of("kubectl debug -n " + ns + " app --profile=general --target=app --image=DLV_IMAGE -- dlv attach 1"
            + " --headless --listen=:" + port + " --api-version=2 --accept-multiclient",
        "kubectl port-forward -n " + ns + " pod/app " + port + ":" + port), commands);

    KubeCluster.Result debug = cluster.withKubectlOnPath(List.of("sh", "-c", commands.get(0).replace("DLV_IMAGE", image)), Map.of());
    assertEquals(0, debug.exit(), debug.both());
    String debugger = cluster.ok("-n", ns, "get", "pod", "app", "-o", "jsonpath={.spec.ephemeralContainers[0].name}").strip();
    cluster.await(READY, out -> out.contains("API server listening at"), "-n", ns, "logs", "app", "-c", debugger);
    Process forward = cluster.startedWhen(commands.get(1), java.util.regex.Pattern.compile("Forwarding from 127\\.0\\.0\\.1:" + port));
    try (DlvDap dap = DlvDap.connect(new java.net.InetSocketAddress("127.0.0.1", port))) {
      LaunchConfigurations.bindsAndShowsWorkspacePaths(dap, LaunchConfigurations.expand(doc.get("configuration"), ws), ws,
          LaunchConfigurations.STACKS_NEVER_RUN);
    } finally {
      forward.destroy();
      cluster.kubectl("delete", "namespace", ns, "--wait=false");
    }
  }

  /** attachproof/dlv:local: the busybox base with a static Delve on its PATH, in the cluster's containerd. */
  private String dlvImage(Path dlv, Path temp) throws IOException, InterruptedException {
    String image = "attachproof/dlv:local";
    Path ctx = Files.createDirectories(temp.resolve("dlv-image"));
    Files.copy(dlv, ctx.resolve("dlv"));
    Files.writeString(ctx.resolve("Dockerfile"), "FROM attachproof/base:local\nCOPY dlv /usr/local/bin/dlv\n");
    Command.run(ctx, Map.of("DOCKER_BUILDKIT", "0"), Duration.ofMinutes(2), "docker.io",
        List.of("docker", "build", "-q", "-t", image, "."));
    cluster.importImages(image);
    return image;
  }

  // ---- helpers ----

  /**
   * A namespace for FILE, enforcing the Pod Security level the manifest says it needs (its comment
   * "pod-security.kubernetes.io/enforce: LEVEL"), as a user would apply it.
   */
  private String shippedNamespace(String file, String ns) throws IOException, InterruptedException {
    cluster.namespace(ns, neededLevel(file));
    return ns;
  }

  private static String neededLevel(String file) throws IOException {
    var m = java.util.regex.Pattern.compile("pod-security\\.kubernetes\\.io/enforce: (\\w+)")
        .matcher(Files.readString(K8S.resolve(file)));
    assertTrue(m.find(), file + " names the Pod Security level it needs");
    return m.group(1);
  }

  /**
   * sidecar-pod.yaml with the test's app image, which dumps its own goroutines on SIGUSR2, and
   * stdin held open (it exits when its stdin closes) in place of the shipped app's arguments.
   */
  private static Map<String, Object> sidecarPod() throws IOException {
    Map<String, Object> pod = only(load("sidecar-pod.yaml"), "Pod");
    Map<String, Object> app = container(pod, "app");
    app.put("image", APP_IMAGE);
    app.remove("args");
    app.put("stdin", true);
    return pod;
  }

  /** A pod of the app alone, as uid 1000, the way sidecar-pod.yaml runs it. */
  private static Map<String, Object> appPod(String name) throws IOException {
    Map<String, Object> pod = sidecarPod();
    map(pod, "metadata").put("name", name);
    Map<String, Object> spec = map(pod, "spec");
    spec.remove("shareProcessNamespace");
    spec.remove("volumes");
    spec.put("containers", List.of(container(pod, "app")));
    return pod;
  }

  private void applied(String ns, Map<String, Object> doc) throws IOException, InterruptedException {
    KubeCluster.Result r = cluster.apply(ns, JSON.writeValueAsString(doc));
    assertEquals(0, r.exit(), () -> "kubectl apply " + doc.get("kind") + " " + name(doc) + ": " + r.both());
  }

  private void awaitReady(String ns, String pod) throws IOException, InterruptedException {
    KubeCluster.Result r = cluster.kubectl("-n", ns, "wait", "pod/" + pod, "--for=condition=Ready",
        "--timeout=" + READY.toSeconds() + "s");
    // A container that fails at start is Ready for a moment between its restarts.
    String restarts = cluster.ok("-n", ns, "get", "pod", pod, "-o", "jsonpath={.status.containerStatuses[*].restartCount}");
    if (r.exit() != 0 || !restarts.strip().matches("0( 0)*")) {
      throw new AssertionError("pod " + ns + "/" + pod + " not Ready (restarts: " + restarts + "): " + r.both()
          + cluster.kubectl("-n", ns, "describe", "pod", pod).out());
    }
  }

  /** The app's own runtime.Stack(all): SIGUSR2 sent as its own uid, from its own container. */
  private String appsOwnDump(String ns, String pod, int pid) throws Exception {
    cluster.ok("-n", ns, "exec", pod, "-c", "app", "--", "kill", "-USR2", String.valueOf(pid));
    String log = cluster.await(Duration.ofSeconds(30), s -> s.contains("STACKS END"), "-n", ns, "logs", pod, "-c", "app");
    return log.substring(log.indexOf("STACKS BEGIN\n") + "STACKS BEGIN\n".length(), log.indexOf("STACKS END"));
  }

  /** "[chan receive, 2 minutes]" and "[chan receive]" are the same wait, read a minute apart. */
  private static String withoutMinutes(String dump) {
    return dump.replaceAll("(?m)^(goroutine \\d+ \\[[^\\],]*), \\d+ minutes\\]:$", "$1]:");
  }

  /** The app's pid as `ps` lists it: among the Go processes, or those whose executable it could not read. */
  private static int appPid(JsonNode ps) {
    for (String list : List.of("processes", "uninspectedProcesses")) {
      for (JsonNode p : ps.path(list)) {
        if (p.path("name").asText().equals("stacks")) {
          return p.path("pid").asInt();
        }
      }
    }
    throw new AssertionError("no stacks process in " + ps);
  }

  private static JsonNode process(JsonNode ps, int pid) {
    for (JsonNode p : ps.path("processes")) {
      if (p.path("pid").asInt() == pid) {
        return p;
      }
    }
    throw new AssertionError("pid " + pid + " not in " + ps);
  }

  /**
   * A port-forward to the agent once its /healthz answers. The pod is Ready when its containers
   * have started, before the agent's JVM listens; kubectl port-forward gives up on a connection
   * the pod refuses (CI once failed so: ConnectException on the first request), so each try
   * opens a new one.
   */
  private KubeCluster.PortForward serving(String ns, String pod, int port) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    for (;;) {
      KubeCluster.PortForward pf = cluster.new PortForward(ns, pod, port);
      String seen;
      try {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + pf.localPort + "/healthz")).timeout(Duration.ofSeconds(10)).build(),
            HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) {
          return pf;
        }
        seen = "HTTP " + r.statusCode() + ": " + r.body();
      } catch (IOException e) {
        seen = e.toString();
      }
      pf.close();
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the agent in " + pod + " did not answer /healthz in 90 s; last: " + seen);
      }
      Thread.sleep(500);
    }
  }

  private static String get(KubeCluster.PortForward pf, String token, String path) throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + pf.localPort + path)).header("Authorization", "Bearer " + token)
        .timeout(Duration.ofSeconds(60)).build(), Schemas.validatedBodies());
    assertEquals(200, r.statusCode(), () -> path + ": " + r.body());
    return r.body();
  }

  private static String[] concat(List<String> head, String... tail) {
    List<String> all = new ArrayList<>(head);
    all.addAll(List.of(tail));
    return all.toArray(String[]::new);
  }

  private static List<Map<String, Object>> load(String file) throws IOException {
    return KubernetesManifestsTest.load(file);
  }

  private static Map<String, Object> only(List<Map<String, Object>> docs, String kind) {
    return KubernetesManifestsTest.only(docs, kind);
  }

  private static Map<String, Object> map(Map<String, Object> m, String key) {
    return KubernetesManifestsTest.map(m, key);
  }

  private static String name(Map<String, Object> doc) {
    return (String) map(doc, "metadata").get("name");
  }

  private static Map<String, Object> container(Map<String, Object> pod, String name) {
    return KubernetesManifestsTest.container(map(pod, "spec"), name);
  }

  private static Map<String, Object> securityContext(Map<String, Object> pod, String container) {
    return map(container(pod, container), "securityContext");
  }
}
