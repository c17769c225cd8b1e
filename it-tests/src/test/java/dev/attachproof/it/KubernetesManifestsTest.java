package dev.attachproof.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
// Testcontainers' own copy of SnakeYAML: the only YAML parser on this module's classpath, and
// enough to check the manifests without adding a dependency. No cluster runs in CI.
import org.testcontainers.shaded.org.yaml.snakeyaml.LoaderOptions;
import org.testcontainers.shaded.org.yaml.snakeyaml.Yaml;
import org.testcontainers.shaded.org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * containers/k8s: each manifest parses, and holds the settings the agent depends on there
 * (the PID namespace it must share, CAP_SYS_PTRACE, `serve` on loopback with a token file).
 */
class KubernetesManifestsTest {
  private static final Path K8S = Images.repositoryRoot().resolve("containers/k8s");

  @Test
  void sidecarPodSharesItsProcessNamespaceAndHoldsSysPtrace() throws IOException {
    Map<String, Object> pod = only(load("sidecar-pod.yaml"), "Pod");
    Map<String, Object> spec = map(pod, "spec");
    assertEquals(true, spec.get("shareProcessNamespace"));
    Map<String, Object> agent = container(spec, "attachproof");
    assertServes(agent);
    Map<String, Object> sc = map(agent, "securityContext");
    assertEquals(List.of("SYS_PTRACE"), map(sc, "capabilities").get("add"));
    assertEquals(0, sc.get("runAsUser"), "no ambient capabilities in Kubernetes: root holds the added one");
    assertRunsOnTheAgentsArches(spec, "sidecar-pod.yaml");
  }

  @Test
  void diagnosticPodIsPrivilegedInTheHostPidNamespace() throws IOException {
    Map<String, Object> pod = only(load("diagnostic-pod.yaml"), "Pod");
    Map<String, Object> spec = map(pod, "spec");
    assertEquals(true, spec.get("hostPID"));
    assertEquals(true, map(container(spec, "attachproof"), "securityContext").get("privileged"));
    assertRunsOnTheAgentsArches(spec, "diagnostic-pod.yaml");
  }

  @Test
  void daemonSetRunsOnEveryNodeInTheHostPidNamespace() throws IOException {
    List<Map<String, Object>> docs = load("daemonset.yaml");
    Map<String, Object> ds = only(docs, "DaemonSet");
    Map<String, Object> podSpec = map(map(map(ds, "spec"), "template"), "spec");
    assertEquals(true, podSpec.get("hostPID"));
    assertEquals(map(map(ds, "spec"), "selector").get("matchLabels"),
        map(map(map(ds, "spec"), "template"), "metadata").get("labels"), "the selector matches the template");
    Map<String, Object> agent = container(podSpec, "attachproof");
    assertServes(agent);
    Map<String, Object> sc = map(agent, "securityContext");
    assertEquals(List.of("SYS_PTRACE"), map(sc, "capabilities").get("add"));
    assertEquals("Unconfined", map(sc, "appArmorProfile").get("type"));
    assertRunsOnTheAgentsArches(podSpec, "daemonset.yaml");
  }

  /**
   * The pod is scheduled only where an agent image exists (kubernetes.io/arch In amd64, arm64,
   * as containers/build-images.sh builds them), and the manifest names both images.
   */
  private static void assertRunsOnTheAgentsArches(Map<String, Object> podSpec, String file) throws IOException {
    Map<String, Object> required = map(map(map(podSpec, "affinity"), "nodeAffinity"),
        "requiredDuringSchedulingIgnoredDuringExecution");
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> terms = (List<Map<String, Object>>) required.get("nodeSelectorTerms");
    assertEquals(1, terms.size(), file + ": one node selector term");
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> expressions = (List<Map<String, Object>>) terms.get(0).get("matchExpressions");
    assertEquals(List.of(Map.of("key", "kubernetes.io/arch", "operator", "In", "values", List.of("amd64", "arm64"))),
        expressions, file + ": the agent's two CPUs");
    String text = Files.readString(K8S.resolve(file));
    assertTrue(text.contains("attachproof/agent:local ") && text.contains("attachproof/agent:local-arm64"),
        file + " names the image of each CPU");
  }

  private static void assertServes(Map<String, Object> container) {
    @SuppressWarnings("unchecked")
    List<String> args = (List<String>) container.get("args");
    assertEquals("serve", args.get(0));
    assertTrue(args.get(args.indexOf("--listen") + 1).startsWith("127.0.0.1:"), "loopback only: " + args);
    String tokenFile = args.get(args.indexOf("--token-file") + 1);
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> mounts = (List<Map<String, Object>>) container.get("volumeMounts");
    assertTrue(mounts.stream().anyMatch(m -> tokenFile.startsWith(m.get("mountPath") + "/")),
        "the token file is on a mounted volume: " + mounts);
  }

  static List<Map<String, Object>> load(String file) throws IOException {
    Yaml yaml = new Yaml(new SafeConstructor(new LoaderOptions()));
    List<Map<String, Object>> docs = new ArrayList<>();
    for (Object doc : yaml.loadAll(Files.readString(K8S.resolve(file)))) {
      if (doc != null) {
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) doc;
        assertTrue(m.containsKey("apiVersion") && m.containsKey("kind") && m.containsKey("metadata"),
            file + ": every document has apiVersion, kind and metadata");
        docs.add(m);
      }
    }
    return docs;
  }

  static Map<String, Object> only(List<Map<String, Object>> docs, String kind) {
    List<Map<String, Object>> of = docs.stream().filter(d -> kind.equals(d.get("kind"))).toList();
    assertEquals(1, of.size(), "one " + kind);
    return of.get(0);
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> map(Map<String, Object> m, String key) {
    Object v = m.get(key);
    assertTrue(v instanceof Map, key + " is a mapping");
    return (Map<String, Object>) v;
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> container(Map<String, Object> podSpec, String name) {
    return ((List<Map<String, Object>>) podSpec.get("containers")).stream()
        .filter(c -> name.equals(c.get("name"))).findFirst()
        .orElseThrow(() -> new AssertionError("no container " + name));
  }
}
