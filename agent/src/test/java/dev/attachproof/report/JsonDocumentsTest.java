package dev.attachproof.report;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.attachproof.delve.Compat;
import dev.attachproof.delve.DapAttach;
import dev.attachproof.delve.DelveBinary;
import dev.attachproof.vscode.DelveBeside;
import dev.attachproof.delve.DelveLocator;
import dev.attachproof.diagnose.ContainerTarget;
import dev.attachproof.diagnose.Diagnosis;
import dev.attachproof.diagnose.Finding;
import dev.attachproof.diagnose.GoProcess;
import dev.attachproof.diagnose.GoProcessScan;
import dev.attachproof.diagnose.Proof;
import dev.attachproof.diagnose.Verdict;
import dev.attachproof.golang.Goroutine;
import dev.attachproof.golang.GoroutineCensus;
import dev.attachproof.golang.Traceback;
import dev.attachproof.golang.WaitingOn;
import dev.attachproof.linux.Errno;
import dev.attachproof.matrix.ProbeReport;
import dev.attachproof.ptrace.AttachMethod;
import dev.attachproof.snapshot.CacheUse;
import dev.attachproof.snapshot.GoroutineSnapshot;
import dev.attachproof.snapshot.Waiting;
import dev.attachproof.testing.Goldens;
import dev.attachproof.testing.Schemas;
import dev.attachproof.vscode.LaunchAdvice;
import dev.attachproof.vscode.SourceMap;
import dev.attachproof.vscode.TargetPlace;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every JSON document the tool prints, written from known inputs and compared byte for byte with
 * the committed goldens (agent/src/test/resources/dev/attachproof/report/documents): field order,
 * indentation, numbers, null against absent, and the escapes of strings that hold every character
 * the writer treats apart. Each is also valid against its schema.
 */
class JsonDocumentsTest {
    /** A string with every character the writer escapes, and some it must leave alone. */
    static final String STRANGE = "q\"b\\s/ \b\f\n\r\t\u0000\u001f\u007f\u0080\u0085\u009f\u00a0\u2028\u2029 é 日本 \uD83D\uDE00";

    private static final ContainerTarget CONTAINER =
            new ContainerTarget("0123456789abcdef".repeat(4), 42, "/app/server", ContainerTarget.Chosen.OLDEST_GO, 3, 1);

    private static Finding pass() {
        return Finding.of("target.exists").evidence("pid", 42).evidence("startTime", 123456789012L).pass("pid 42 exists");
    }

    /** Evidence of each kind of value the checks put there. */
    private static Finding fail() {
        Map<String, Object> nested = new LinkedHashMap<>();
        nested.put("a", 1);
        nested.put("b", List.of());
        nested.put("c", Map.of());
        nested.put("d", null);
        List<Object> mixed = new ArrayList<>(Arrays.asList("x", 2, true, null, List.of(3L), Errno.EACCES));
        return Finding.of("yama.ptrace_scope").evidence("file", "/proc/sys/kernel/yama/ptrace_scope").evidence("ptrace_scope", 1)
                .evidence("tracerIsAncestor", false).evidence("NSpid", List.of(42, 7)).evidence("none", List.of())
                .evidence("nested", nested).evidence("mixed", mixed).evidence("null", null).evidence("errno", Errno.EPERM)
                .evidence("path", Path.of("/usr/bin/dlv")).evidence("method", AttachMethod.SEIZE).evidence("strange", STRANGE)
                .fail("Yama ptrace_scope 1: only descendants " + STRANGE, "run the debugger as the target's parent, or set it to 0");
    }

    private static Finding warn() {
        return Finding.of("target.debuginfo").evidence("dwarf", true).warn("optimized", null);
    }

    private static Proof proven() {
        return Proof.proven(AttachMethod.SEIZE, 812, new Proof.Read("go1.22.5", "runtime.buildVersion",
                new GoroutineCensus.Count(405, 3, 2, "symbols", "dwarf")), "process_vm_readv", List.of("a note", STRANGE));
    }

    private static GoProcessScan.Result scan() {
        return new GoProcessScan.Result(
                List.of(new GoProcess(42, "server", 1000, "go1.22.5", "example.com/server", Verdict.NOT_ATTACHABLE, List.of("yama.ptrace_scope")),
                        new GoProcess(43, "w\u001b[2J" + STRANGE, 0, "go1.26.0", "", Verdict.ATTACHABLE, List.of())),
                List.of(new GoProcessScan.Uninspected(7, "init", 0, "EACCES", List.of(), "/proc/7/exe refused (EACCES)"),
                        new GoProcessScan.Uninspected(8, "other", 1001, "EPERM", List.of("credentials.uid", "capability.sys_ptrace"), STRANGE)));
    }

    @Test
    void doctor() {
        check("doctor-refused.json", DoctorJson.write(new Diagnosis(42, Verdict.NOT_ATTACHABLE, Verdict.NOT_ATTACHABLE,
                List.of(pass(), fail(), warn()), Proof.refused(AttachMethod.SEIZE, Errno.EPERM, "ptrace(PTRACE_SEIZE)",
                        List.of("yama.ptrace_scope"), "refused"), null)));
        check("doctor-proven-container.json", DoctorJson.write(new Diagnosis(42, Verdict.ATTACHABLE, Verdict.UNKNOWN,
                List.of(pass(), warn()), proven(), "the checks said no; the kernel said yes"), CONTAINER));
        check("doctor-not-attempted.json", DoctorJson.write(new Diagnosis(42, Verdict.UNKNOWN, Verdict.UNKNOWN,
                List.of(warn()), Proof.notAttempted("--no-proof"), null)));
        check("doctor-did-not-stop.json", DoctorJson.write(new Diagnosis(42, Verdict.UNKNOWN, Verdict.ATTACHABLE,
                List.of(pass()), Proof.didNotStop(AttachMethod.ATTACH, 2_000_000, "did not stop"), null)));
        check("doctor-environment.json", DoctorJson.writeEnvironment(List.of(pass(), fail()), scan()));
        check("doctor-environment-no-go.json", DoctorJson.writeEnvironment(List.of(warn()), new GoProcessScan.Result(List.of(), List.of())));
    }

    @Test
    void ps() {
        check("ps.json", PsJson.write(scan()));
        check("ps-empty.json", PsJson.write(new GoProcessScan.Result(List.of(), List.of())));
    }

    @Test
    void compat() {
        CompatJson.Target target = new CompatJson.Target("example.com/server", "example.com/server", "amd64", true, 5,
                "table go1.26-amd64", List.of("dwarf and table disagree on " + STRANGE));
        DelveLocator.Search found = new DelveLocator.Search(new DelveLocator.Found(Path.of("/usr/bin/dlv"), "PATH"),
                List.of("GOBIN: /root/go/bin/dlv (missing)"), "0.42.1 (~/.vscode/extensions/golang.go-0.42.1)");
        check("compat-unsupported.json", CompatJson.write(new Compat("go1.26.0", "1.20.2", false, new String[] {"1.18", "1.20"},
                "Go version go1.26.0 is too recent", "go1.26.0", "Delve 1.26.0 or newer", List.of("n1", STRANGE), true), target, found));
        check("compat-unknown.json", CompatJson.write(new Compat("go1.22.5", null, null, null, null, null, null, List.of(), false),
                new CompatJson.Target("x", "", "arm64", false, 0, null, List.of()), new DelveLocator.Search(null, List.of(), null)));
    }

    @Test
    void matrix() {
        check("matrix.json", MatrixJson.write(42, List.of(
                new ProbeReport("baseline", null, "attachable", "ok", "", "CapEff: 000001ffffffffff"),
                new ProbeReport("yama-1", "changes the host-wide kernel.yama.ptrace_scope", null, null, "", ""),
                new ProbeReport("seccomp-deny-ptrace", null, "not-attachable", "EPERM", "seccomp.ptrace,nonewprivs", STRANGE),
                new ProbeReport("other-uid+bounding-only", null, "not-attachable", "unknown", "credentials.uid", "Uid: 1001"))));
    }

    @Test
    void goroutines() throws Exception {
        check("goroutines.json", GoroutinesJson.write(snapshot(goroutineEntries())));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        GoroutinesJson.write(snapshot(goroutineEntries()), CONTAINER, out);
        check("goroutines-container.json", out.toString(StandardCharsets.UTF_8));
        // The one change from the hand-made writer: no goroutines is "goroutines": [] as every other
        // empty list, where it printed "[", an empty line and "  ]".
        check("goroutines-none.json", GoroutinesJson.write(snapshot(List.of())));
    }

    /**
     * Each goroutine's line, written by GoroutineLineSerializer, is what Jackson's bean serializer
     * writes of its record; with waitingOn too (the records of the snapshot's goroutines, the
     * first two given objects to wait on).
     */
    @Test
    void goroutineLinesAreTheRecords() throws Exception {
        GoroutineSnapshot s = snapshot(goroutineEntries());
        List<GoroutineJson> records = new ArrayList<>(GoroutinesJson.records(s));
        records.set(0, waitingOn(records.get(0), WaitingOnJson.of(List.of(WaitingOn.sync("sync.WaitGroup", 0xc0000a0010L)))));
        records.set(1, waitingOn(records.get(1), WaitingOnJson.of(List.of(new WaitingOn("chan", 0xc000080120L, "send", STRANGE, 1, 4, false)))));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        JsonDocuments.write(new GoroutinesDocument(GoroutinesDocument.SCHEMA, 42, null, "go1.22.5", "amd64", false, null, "dwarf", "dwarf",
                "symbols", List.of(), Map.of(), Map.of(), null, null, 0, CacheUse.OFF, records), 3,
                Map.of(WrittenOnceSerializer.TEXTS, new java.util.IdentityHashMap<>()), out);
        String document = out.toString(StandardCharsets.UTF_8);
        Schemas.assertValid(document);
        List<String> lines = document.lines().filter(l -> l.startsWith("    {")).toList();
        assertEquals(records.size(), lines.size());
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            assertEquals(JsonDocuments.text(records.get(i)), line.endsWith(",") ? line.substring(0, line.length() - 1) : line);
        }
        assertTrue(lines.get(1).contains("\"waitingOn\": [{\"kind\": \"chan\", \"address\": \"0xc000080120\", \"op\": \"send\""), lines.get(1));
    }

    private static GoroutineJson waitingOn(GoroutineJson r, List<WaitingOnJson> on) {
        return new GoroutineJson(r.id(), r.status(), r.waitReason(), r.waitMinutes(), r.system(), r.startFunction(), r.threadId(),
                r.lockedToThread(), r.readAfterStop(), r.labels(), on, r.frames(), r.framesElided(), r.stackNote(), r.createdBy());
    }

    /** waitingOn as the goroutines document first wrote it by hand: a channel with all its fields, the others with kind and address only. */
    @Test
    void waitingOn() {
        List<WaitingOnJson> on = WaitingOnJson.of(List.of(new WaitingOn("chan", 0xc000080120L, "receive", "int", 1, 4, false),
                new WaitingOn("chan", 0xc000090000L, null, null, 0, 0, true), WaitingOn.sync("sync.Mutex", 0xc0000a0010L)));
        assertEquals("[{\"kind\": \"chan\", \"address\": \"0xc000080120\", \"op\": \"receive\", \"elemType\": \"int\", \"len\": 1, "
                + "\"cap\": 4, \"closed\": false}, {\"kind\": \"chan\", \"address\": \"0xc000090000\", \"op\": null, \"elemType\": null, "
                + "\"len\": 0, \"cap\": 0, \"closed\": true}, {\"kind\": \"sync.Mutex\", \"address\": \"0xc0000a0010\"}]", JsonDocuments.text(on));
        assertEquals("null", JsonDocuments.text(WaitingOnJson.of(null)));
    }

    @Test
    void dap() {
        DapReport r = new DapReport(42, new DelveBinary(Path.of("/usr/bin/dlv"), "1.20.2", "build info", "go1.20", null), "PATH",
                new DapAttach.Outcome(List.of(new DapAttach.Step("start", true, "listening", 30),
                        new DapAttach.Step("attach", false, STRANGE, 2)), List.of(new DapAttach.GoThread(1, "main.main"))),
                List.of(fail()));
        check("dap.json", DapJson.write(r));
    }

    @Test
    void vscode() {
        ObjectNode configuration = JsonNodeFactory.instance.objectNode().put("name", "Attach").put("type", "go")
                .put("request", "attach").put("mode", "remote").put("debugAdapter", "dlv-dap").put("host", "127.0.0.1")
                .put("port", 4000);
        configuration.putArray("substitutePath").addObject().put("from", "/src").put("to", "/home/me/src");
        LaunchAdvice a = new LaunchAdvice(42, "remote", false, "the target runs in a container", configuration,
                new DelveBeside.Start(List.of("docker exec ..."), List.of(STRANGE)),
                new SourceMap.Result(List.of(new SourceMap.Rule("/src", "/home/me/src", "module", 12)), List.of("a note")),
                new TargetPlace(42, 1, false, "0123456789abcdef".repeat(4), "docker", new TargetPlace.KubePod("ns", "pod", "c")),
                List.of(fail(), warn()));
        DelveLocator.Search search = new DelveLocator.Search(new DelveLocator.Found(Path.of("/usr/bin/dlv"), "PATH"), List.of(), null);
        check("vscode.json", VscodeJson.write(a, new DelveBinary(Path.of("/usr/bin/dlv"), "1.20.2", "build info", "go1.20", null), search));
        check("vscode-text.jsonc", VscodeText.write(a, null, search));
    }

    private static void check(String name, String document) {
        Goldens.assertMatches(name, document);
        if (name.endsWith(".json")) {
            Schemas.assertValid(document);
        }
    }

    static final long TAKEN = 10_000_000_000_000L;

    /** Three goroutines: one waiting for minutes, one running locked with labels, one system goroutine read late. */
    static List<GoroutineSnapshot.Entry> goroutineEntries() {
        Traceback.Frame shared = new Traceback.Frame("main.worker", "/src/main.go", 20, 0x4a1b2cL, 0x2c, false, true, "0xc000012345, 0x0?");
        Traceback.Frame inlined = new Traceback.Frame("main.inner", "/src/main.go", 12, 0x4a1b00L, 0, true, false, null);
        Traceback.Frame strange = new Traceback.Frame("main.(*T[...]).M" + STRANGE, "/src/" + STRANGE + ".go", 7, 0x401000L, 5, false, false, "");
        Traceback.CreatedBy site = new Traceback.CreatedBy("main.main", "/src/main.go", 64, 0x4a2000L, 0x40);
        Goroutine waiting = goroutine(1, Goroutine.G_WAITING, "waiting", "chan receive", TAKEN - 210_000_000_000L, 0, 0);
        Goroutine running = goroutine(18, Goroutine.G_RUNNING | Goroutine.SCAN_BIT, "running", "", 0, 1, 0xc000100000L);
        Goroutine system = goroutine(19, Goroutine.G_SYSCALL, "syscall", STRANGE, TAKEN - 1, 0, 0);
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put("job", "a");
        labels.put(STRANGE, "");
        return List.of(
                new GoroutineSnapshot.Entry(waiting, false, stack(List.of(inlined, shared), 0, null), Optional.empty(), null,
                        "main.main", Map.of(), false),
                new GoroutineSnapshot.Entry(running, false, stack(List.of(shared, strange, shared), 0, null), Optional.of(site), 4243,
                        "main.worker", labels, false),
                new GoroutineSnapshot.Entry(system, true, stack(List.of(), 100, "stack unreadable: " + STRANGE), Optional.of(site), 4244,
                        STRANGE, Map.of(), true));
    }

    private static Goroutine goroutine(long id, int status, String statusText, String waitReason, long waitSince, long parentId, long lockedM) {
        return new Goroutine(0xc000000000L + id * 0x100, id, status, statusText, waitReason, waitSince, 0x4a2000L, 0x4a1000L,
                parentId == 0 && id == 18 ? 1 : parentId, lockedM, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    }

    private static Traceback.Stack stack(List<Traceback.Frame> frames, int elided, String stopped) {
        return new Traceback.Stack(frames, elided, stopped, null, -1, List.of());
    }

    static GoroutineSnapshot snapshot(List<GoroutineSnapshot.Entry> entries) {
        Map<String, Long> phases = new LinkedHashMap<>();
        phases.put("unwind", 400L);
        phases.put("binary", 3000L);
        phases.put("interrupt", 100L);
        phases.put("wait", 200L);
        phases.put("goroutines", 300L);
        phases.put("detach", 62L);
        return new GoroutineSnapshot(42, "go1.22.5", "amd64", true, 662, "table go1.22-amd64", "symbols", TAKEN, entries,
                List.of("a note", STRANGE), phases, false, null, 5, 50_000, CacheUse.HIT, Waiting.NOT_READ);
    }
}
