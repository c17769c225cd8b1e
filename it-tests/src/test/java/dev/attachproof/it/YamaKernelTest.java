package dev.attachproof.it;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Yama on a real kernel. Boots Debian's kernel (Yama built in) under qemu's software emulation
 * with an initramfs whose init (it-tests/src/test/go/yamainit) sets each ptrace_scope in turn,
 * 0 to 3, and runs {@code attachproof doctor PID --json} on a fresh Go target from four tracers
 * ({@link Tracer}). For each of the 16 runs the kernel's answer to PTRACE_SEIZE must be Yama's
 * rule, and the doctor must say so: verdict, exit status, the yama.ptrace_scope finding, the
 * refusal blamed on Yama alone, no contradiction, and a prediction that is right wherever /proc
 * shows what decides it. At scope 0 the same boot runs the AppArmor cases ({@link AppArmorCase}):
 * the kernel's AppArmor (on in Debian's kernels) with profiles loaded, each side confined or not.
 * One boot serves all; it takes one to three minutes on two cores.
 *
 * <p>Needs qemu-system-x86_64, apt-get and dpkg-deb (the kernel package is downloaded into
 * target/yama-kernel, never installed), apparmor_parser (Debian's apparmor), Go on PATH and the
 * agent jar; a missing one fails the test. Alone: {@code ./test -pl native-bindings,agent,it-tests -Dtest=YamaKernelTest
 * -Dsurefire.failIfNoSpecifiedTests=false}.
 */
class YamaKernelTest {
    /** What the init prints before each result (matrix.go). */
    private static final String PREFIX = "ATTACHPROOF-YAMA ";
    /** 16 doctor runs and a matrix (10 more JVMs) under emulation take about 3 minutes on two cores; the bound leaves room for a loaded machine. */
    private static final Duration VM_BOUND = Duration.ofMinutes(12);

    /** The init's tracers (matrix.go), as Yama sees them; every one passes the classic ptrace checks. */
    enum Tracer {
        A("root with CAP_SYS_PTRACE, not an ancestor of the target", true, false, false),
        B("uid 1000 like the target, not its ancestor", false, false, false),
        C("uid 1000, the target's grandparent", false, true, false),
        D("uid 1000, named by the target with prctl(PR_SET_PTRACER)", false, false, true);

        final String description;
        final boolean capSysPtrace;
        final boolean ancestor;
        final boolean namedByTarget;

        Tracer(String description, boolean capSysPtrace, boolean ancestor, boolean namedByTarget) {
            this.description = description;
            this.capSysPtrace = capSysPtrace;
            this.ancestor = ancestor;
            this.namedByTarget = namedByTarget;
        }

        String key() {
            return name().toLowerCase();
        }
    }

    /**
     * Yama's decision (security/yama/yama_lsm.c, yama_ptrace_access_check; Yama.rst): 0 classic;
     * 1 an ancestor, a tracer the target named, or CAP_SYS_PTRACE; 2 CAP_SYS_PTRACE; 3 nobody.
     */
    static boolean yamaAllows(int scope, boolean capSysPtrace, boolean ancestor, boolean namedByTarget) {
        return switch (scope) {
            case 0 -> true;
            case 1 -> capSysPtrace || ancestor || namedByTarget;
            case 2 -> capSysPtrace;
            case 3 -> false;
            default -> throw new IllegalArgumentException("no ptrace_scope " + scope);
        };
    }

    private static final Map<String, JsonNode> runs = new LinkedHashMap<>();
    private static final Map<String, JsonNode> appArmorRuns = new LinkedHashMap<>();
    private static Map<String, AppArmorPolicy.PtraceRules> appArmorRules;
    private static final List<JsonNode> otherEvents = new ArrayList<>();

    @BeforeAll
    static void bootTheMatrix() throws Exception {
        Path repo = Path.of(System.getProperty("attachproof.repo", "..")).toAbsolutePath().normalize();
        Path build = Path.of(System.getProperty("attachproof.buildDir", "target")).toAbsolutePath();
        AgentJar agentJar = AgentJar.of(repo);
        long start = System.nanoTime();
        Path kernel = DebianKernel.vmlinuz(Files.createDirectories(build.resolve("yama-kernel")), GuestArch.AMD64);
        Path work = Files.createDirectories(build.resolve("yama-vm"));
        Path initramfs = YamaInitramfs.build(repo, agentJar, work);
        appArmorRules = AppArmorPolicy.ptraceRules(repo);
        Duration prepared = Duration.ofNanos(System.nanoTime() - start);
        QemuVm.Boot boot = QemuVm.boot(GuestArch.AMD64, kernel, initramfs, VM_BOUND, work.resolve("console.log"));
        for (JsonNode event : boot.results(PREFIX)) {
            if (event.path("event").asText().equals("run")) {
                runs.put(event.get("scope").asInt() + event.get("case").asText(), event);
            } else if (event.path("event").asText().equals("apparmor")) {
                appArmorRuns.put(event.get("case").asText(), event);
            } else {
                otherEvents.add(event);
            }
        }
        report(kernel, initramfs, prepared, boot);
    }

    @Test
    void theKernelHasYamaAndTheInitRanEveryCase() {
        JsonNode boot = event("boot");
        assertTrue(boot.path("lsm").asText().contains("yama"), "active LSMs: " + boot.path("lsm"));
        assertEquals(List.of(), otherEvents.stream().filter(e -> e.path("event").asText().equals("error")).toList(),
                "the init's errors");
        assertNotNull(event("done"), "the init finished");
        assertEquals(16, runs.size(), "runs: " + runs.keySet());
    }

    static Stream<Arguments> matrix() {
        return IntStream.rangeClosed(0, 3).boxed().flatMap(scope -> Stream.of(Tracer.values()).map(t -> Arguments.of(scope, t)));
    }

    @ParameterizedTest(name = "ptrace_scope {0}, tracer {1}")
    @MethodSource("matrix")
    void theKernelFollowsYamaAndTheDoctorSaysWhy(int scope, Tracer tracer) {
        JsonNode run = runs.get(scope + tracer.key());
        assertNotNull(run, () -> "no result for scope " + scope + ", tracer " + tracer + "; the init said " + otherEvents);
        boolean allowed = yamaAllows(scope, tracer.capSysPtrace, tracer.ancestor, tracer.namedByTarget);
        // PR_SET_PTRACER is kept in Yama's own list, which /proc does not show: from outside, tracer D looks like B.
        boolean visiblyAllowed = yamaAllows(scope, tracer.capSysPtrace, tracer.ancestor, false);
        assertYamaAnswer("ptrace_scope " + scope + ", " + tracer.description, run, scope, allowed, visiblyAllowed);
    }

    /**
     * A doctor run (an init's result: the doctor's document, exit, targetPid, stderr) under
     * {@code scope}, where Yama {@code allowed} the attach: the kernel's answer to PTRACE_SEIZE
     * must be Yama's rule, and the doctor must say so: verdict, exit status, the
     * yama.ptrace_scope finding, the refusal blamed on Yama alone, no contradiction, and the
     * prediction from /proc ({@code visiblyAllowed}: what /proc shows of Yama's inputs).
     */
    static void assertYamaAnswer(String what, JsonNode run, int scope, boolean allowed, boolean visiblyAllowed) {
        JsonNode doc = run.get("doctor");
        assertTrue(doc != null && doc.isObject(), () -> what + ": the doctor printed no JSON: exit " + run.get("exit")
                + ", stdout " + run.path("stdout") + ", stderr " + run.path("stderr"));
        JsonNode yama = check(doc, "yama.ptrace_scope");
        assertAll(what + "; the doctor said:\n" + doc.toPrettyString() + "\nstderr: " + run.path("stderr").asText(),
                () -> assertEquals(run.get("targetPid").asInt(), doc.get("pid").asInt(), "the pid the doctor examined"),
                () -> assertTrue(doc.at("/proof/attempted").asBoolean(), "the proof was attempted"),
                () -> assertEquals(allowed, doc.at("/proof/ok").asBoolean(), "the kernel's answer: attached"),
                () -> assertEquals(allowed ? null : "EPERM", doc.at("/proof/errno").textValue(), "the kernel's answer: errno"),
                () -> assertEquals(allowed ? "attachable" : "not-attachable", doc.get("verdict").asText(), "verdict"),
                () -> assertEquals(allowed ? 0 : 1, run.get("exit").asInt(), "exit status"),
                () -> assertEquals(scope, yama.at("/evidence/ptrace_scope").asInt(), "the scope the doctor read"),
                () -> assertEquals(allowed ? "pass" : "fail", yama.get("status").asText(), "yama.ptrace_scope: " + yama.get("summary")),
                () -> assertEquals(allowed ? List.of() : List.of("yama.ptrace_scope"), failing(doc), "failing checks"),
                () -> assertEquals(allowed ? List.of() : List.of("yama.ptrace_scope"), texts(doc.at("/proof/explainedBy")),
                        "the checks the refusal is blamed on"),
                () -> assertTrue(doc.get("contradiction").isNull(), "contradiction: " + doc.get("contradiction")),
                () -> assertEquals(visiblyAllowed ? "attachable" : "not-attachable", doc.get("predicted").asText(),
                        "predicted from /proc alone"));
    }

    /**
     * AppArmor on the same boot, at ptrace_scope 0: Debian's kernel has it on, the init loads the
     * container runtimes' default profile (as docker-default and cri-containerd.apparmor.d) and a
     * debugger's, and starts each side under one of them or unconfined ({@link AppArmorCase}).
     */
    @Test
    void theKernelHasAppArmorAndTheInitLoadedTheProfiles() {
        assertTrue(event("boot").path("lsm").asText().contains("apparmor"), "active LSMs: " + event("boot").path("lsm"));
        String loaded = event("apparmor-loaded").path("profiles").asText();
        for (String profile : appArmorRules.keySet()) {
            assertTrue(loaded.contains(profile + " (enforce)"), () -> profile + " not loaded: " + loaded);
        }
        assertEquals(AppArmorCase.values().length, appArmorRuns.size(), "AppArmor runs: " + appArmorRuns.keySet());
    }

    @ParameterizedTest(name = "AppArmor: {0}")
    @EnumSource(AppArmorCase.class)
    void theKernelFollowsAppArmorAndTheDoctorSaysWhy(AppArmorCase c) {
        JsonNode event = appArmorRuns.get(c.key);
        assertNotNull(event, () -> "no result for AppArmor case " + c.key + "; the init said " + otherEvents);
        c.assertAnswer(event, appArmorRules);
    }

    /** The test's reading of the profiles' rules gives each kind of answer at least once: it cannot pass by reading none. */
    @Test
    void theAppArmorCasesCoverEveryAnswer() {
        List<Boolean> answers = Stream.of(AppArmorCase.values()).map(c -> c.kernelAllows(appArmorRules)).distinct().toList();
        assertEquals(2, answers.size(), "allowed and denied cases: " + appArmorRules);
        assertTrue(Stream.of(AppArmorCase.values()).anyMatch(c -> c.predictedFromLabelsOnly(appArmorRules)), appArmorRules::toString);
    }

    /**
     * `matrix --allow-yama-change`, run as root against a uid-1000 target while the scope is 0:
     * it tries yama-1 and yama-2 for real (root with CAP_SYS_PTRACE attaches under both), refuses
     * to set 3 from below, and writes 0 back.
     */
    @Test
    void theMatrixTriesYamaScopesAndPutsTheOriginalBack() {
        assertMatrixTriedYama(event("matrix"));
    }

    /** An init's matrix event (the document, exit, scopeAfter) of a run at scope 0 with --allow-yama-change. */
    static void assertMatrixTriedYama(JsonNode m) {
        assertEquals("0", m.path("scopeAfter").asText(), () -> "the scope was not written back: " + m);
        JsonNode doc = m.path("matrix");
        assertEquals("attachproof.matrix/v1", doc.path("schema").asText(), m::toString);
        Map<String, JsonNode> rows = new LinkedHashMap<>();
        doc.path("rows").forEach(r -> rows.put(r.path("setting").asText(), r));
        for (String s : List.of("baseline", "yama-1", "yama-2")) {
            JsonNode r = rows.get(s);
            assertEquals("ok", r.path("observed").asText(), () -> s + ": " + r);
            assertEquals("attachable", r.path("predicted").asText(), () -> s + ": " + r);
            assertTrue(r.path("agree").asBoolean(), () -> s + ": " + r);
        }
        assertTrue(rows.get("yama-1").path("evidence").asText().contains("ptrace_scope 1"), rows.get("yama-1")::toString);
        assertTrue(rows.get("yama-2").path("evidence").asText().contains("ptrace_scope 2"), rows.get("yama-2")::toString);
        JsonNode three = rows.get("yama-3");
        assertEquals("skipped", three.path("observed").asText(), three::toString);
        assertTrue(three.path("skipped").asText().contains("cannot be lowered"), three::toString);
        assertEquals(0, m.path("exit").asInt(), () -> "every tried setting agrees: " + m);
    }

    private static JsonNode event(String name) {
        return otherEvents.stream().filter(e -> e.path("event").asText().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("the init printed no " + name + " event; runs: " + runs.keySet()
                        + ", other events: " + otherEvents));
    }

    static JsonNode check(JsonNode doc, String id) {
        for (JsonNode c : doc.get("checks")) {
            if (c.get("id").asText().equals(id)) {
                return c;
            }
        }
        throw new AssertionError("no check " + id + " in " + doc);
    }

    static List<String> failing(JsonNode doc) {
        List<String> ids = new ArrayList<>();
        doc.get("checks").forEach(c -> {
            if (c.get("status").asText().equals("fail")) {
                ids.add(c.get("id").asText());
            }
        });
        return ids;
    }

    static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    /** The measurements the README quotes: where the time goes. */
    private static void report(Path kernel, Path initramfs, Duration prepared, QemuVm.Boot boot) throws IOException {
        StringBuilder sb = new StringBuilder("Yama VM: ").append(kernel.getFileName()).append(", initramfs ")
                .append(Files.size(initramfs) >> 20).append(" MiB, built in ").append(prepared.toMillis()).append(" ms; qemu ran ")
                .append(boot.elapsed().toMillis()).append(" ms\n");
        for (JsonNode e : otherEvents) {
            sb.append("  ").append(e).append('\n');
        }
        runs.values().forEach(r -> sb.append(String.format("  scope %d %s: exit %d in %d ms%n",
                r.get("scope").asInt(), r.get("case").asText(), r.get("exit").asInt(), r.get("millis").asLong())));
        appArmorRuns.values().forEach(e -> sb.append(String.format("  apparmor %s: exit %d in %d ms%n",
                e.get("case").asText(), e.at("/run/exit").asInt(), e.at("/run/millis").asLong())));
        otherEvents.stream().filter(e -> e.path("event").asText().equals("apparmor-loaded")).findFirst().ifPresent(loaded ->
                otherEvents.stream().filter(e -> e.path("event").asText().equals("apparmor-done")).findFirst().ifPresent(done ->
                        sb.append(String.format("  AppArmor: policy loaded in %d ms, the whole %d ms of uptime%n",
                                loaded.path("loadedMillis").asLong() - loaded.path("startMillis").asLong(),
                                done.path("uptimeMillis").asLong() - loaded.path("startMillis").asLong()))));
        System.out.print(sb);
    }
}
