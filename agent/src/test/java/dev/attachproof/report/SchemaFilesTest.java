package dev.attachproof.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.attachproof.diagnose.Check;
import dev.attachproof.diagnose.ContainerTarget;
import dev.attachproof.diagnose.Diagnosis;
import dev.attachproof.diagnose.Doctor;
import dev.attachproof.diagnose.Finding;
import dev.attachproof.diagnose.GoProcess;
import dev.attachproof.diagnose.GoProcessScan;
import dev.attachproof.diagnose.Proof;
import dev.attachproof.diagnose.Verdict;
import dev.attachproof.linux.Errno;
import dev.attachproof.matrix.ProbeReport;
import dev.attachproof.matrix.Setting;
import dev.attachproof.ptrace.StopPhases;
import dev.attachproof.testing.GoFixture;
import dev.attachproof.testing.Schemas;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.opentest4j.AssertionFailedError;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The schema files themselves: their enums are the code's (check ids are the doctor's checks,
 * errno names the Errno enum, matrix settings the Setting enum: one added in code and not in the
 * contract fails here), the writers' documents are valid, and a document with a renamed field is
 * refused, so the validation the command tests run can fail.
 */
class SchemaFilesTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @ParameterizedTest
    @ValueSource(strings = {"dap", "vscode", "doctor", "matrix", "ps"})
    void checkIdsAreTheDoctorsChecks(String name) throws Exception {
        List<JsonNode> enums = enumsHolding(schema(name), "target.exists");
        assertFalse(enums.isEmpty(), name + ": no check id enum");
        Set<String> doctors = new TreeSet<>(Doctor.standardChecks(null).stream().map(Check::id).toList());
        for (JsonNode e : enums) {
            assertEquals(doctors, strings(e), name);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"doctor", "matrix", "ps"})
    void errnoNamesAreTheErrnoEnum(String name) throws Exception {
        List<JsonNode> enums = enumsHolding(schema(name), "EPERM");
        assertFalse(enums.isEmpty(), name + ": no errno enum");
        Set<String> names = Arrays.stream(Errno.values()).map(Errno::name).collect(Collectors.toCollection(TreeSet::new));
        for (JsonNode e : enums) {
            assertEquals(names, strings(e), name);
        }
    }

    @Test
    void matrixSettingsAndStopPhasesAreTheCodes() throws Exception {
        assertEquals(Arrays.stream(Setting.values()).map(Setting::id).toList(),
                List.copyOf(strings(schema("matrix").at("/properties/rows/items/properties/setting/enum"))));
        assertEquals(StopPhases.SNAPSHOT,
                List.copyOf(strings(schema("goroutines").at("/properties/stopPhaseMicros/propertyNames/enum"))));
    }

    /** Every enum of check statuses and of verdicts in the schemas is the Status or Verdict enum as Jackson writes it. */
    @ParameterizedTest
    @ValueSource(strings = {"doctor", "ps", "matrix", "vscode"})
    void statusesAndVerdictsAreTheCodes(String name) throws Exception {
        Set<String> statuses = Arrays.stream(dev.attachproof.diagnose.Status.values()).map(v -> JSON.convertValue(v, String.class))
                .collect(Collectors.toCollection(TreeSet::new));
        Set<String> verdicts = Arrays.stream(dev.attachproof.diagnose.Verdict.values()).map(v -> JSON.convertValue(v, String.class))
                .collect(Collectors.toCollection(TreeSet::new));
        List<JsonNode> statusEnums = enumsHolding(schema(name), "warn");
        List<JsonNode> verdictEnums = enumsHolding(schema(name), "not-attachable");
        assertFalse(statusEnums.isEmpty() && verdictEnums.isEmpty(), name + ": neither statuses nor verdicts");
        for (JsonNode e : statusEnums) {
            // vscode lists only the statuses it shows (fail, warn): a subset, never a word the code lacks.
            assertTrue(statuses.containsAll(strings(e)) && (name.equals("vscode") || strings(e).equals(statuses)), name + ": " + e);
        }
        for (JsonNode e : verdictEnums) {
            assertTrue(verdicts.containsAll(strings(e)) && strings(e).size() >= 2, name + ": " + e);
        }
    }

    /** Every schema is draft 2020-12, its $id the document's schema value, closed at the top. */
    @ParameterizedTest
    @ValueSource(strings = {"dap", "vscode", "doctor", "goroutines", "compat", "matrix", "ps", "error"})
    void everySchemaIsNamedAndClosed(String name) throws Exception {
        JsonNode s = schema(name);
        assertEquals("https://json-schema.org/draft/2020-12/schema", s.get("$schema").asText());
        assertEquals("attachproof." + name + "/v1", s.get("$id").asText());
        if (name.equals("doctor")) {
            assertFalse(s.at("/$defs/target/additionalProperties").asBoolean(true));
            assertFalse(s.at("/$defs/environment/additionalProperties").asBoolean(true));
            assertTrue(s.at("/$defs/check/properties/evidence/additionalProperties").isMissingNode(), "evidence is an open map");
        } else {
            assertFalse(s.get("additionalProperties").asBoolean(true), name);
            assertTrue(s.get("required").size() >= 2, name);
        }
    }

    /** A document with one field renamed, at the top and deeper, is refused; the document itself is not. */
    @ParameterizedTest
    @ValueSource(strings = {"dap", "vscode", "doctor", "doctor-environment", "goroutines", "compat", "matrix", "ps", "error"})
    void aRenamedFieldIsRefused(String which) throws Exception {
        String name = which.replace("-environment", "");
        ObjectNode doc = (ObjectNode) JSON.readTree(sample(which));
        assertValid(name, doc);
        String field = switch (name) {
            case "compat" -> "goVersion";
            case "ps" -> "processes";
            case "error" -> "status";
            default -> "pid";
        };
        ObjectNode renamed = doc.deepCopy();
        renamed.set(field + "s", renamed.remove(field));
        assertThrows(AssertionFailedError.class, () -> assertValid(name, renamed), which + ": " + field + " renamed");
        String nested = switch (which) {
            case "doctor" -> "/proof";
            case "doctor-environment", "ps" -> "/processes/0";
            case "goroutines" -> "/goroutines/0/frames/0";
            case "matrix" -> "/rows/0";
            case "dap" -> "/steps/0";
            case "vscode" -> "/configuration";
            default -> null;
        };
        if (nested != null) {
            ObjectNode deeper = doc.deepCopy();
            ObjectNode o = (ObjectNode) deeper.at(nested);
            String first = o.fieldNames().next();
            o.set(first + "s", o.remove(first));
            assertThrows(AssertionFailedError.class, () -> assertValid(name, deeper), which + ": " + nested + "/" + first + " renamed");
        }
    }

    @Test
    void anUnknownCheckIdOrErrnoIsRefused() throws Exception {
        ObjectNode doctor = (ObjectNode) JSON.readTree(sample("doctor"));
        ((ObjectNode) doctor.at("/checks/0")).put("id", "target.gone");
        assertThrows(AssertionFailedError.class, () -> assertValid("doctor", doctor));
        ObjectNode matrix = (ObjectNode) JSON.readTree(sample("matrix"));
        ((ObjectNode) matrix.at("/rows/2")).put("errno", "EPERMS");
        assertThrows(AssertionFailedError.class, () -> assertValid("matrix", matrix));
        ObjectNode error = (ObjectNode) JSON.readTree(sample("error"));
        error.put("error", "two\nlines");
        assertThrows(AssertionFailedError.class, () -> assertValid("error", error));
    }

    /**
     * The goroutine status words are the layout tables' (gStatusStrings of each release), and
     * "???", which Go prints for a value it does not know.
     */
    @Test
    void goroutineStatusesAreTheLayoutTablesWords() throws Exception {
        Set<String> words = new TreeSet<>(List.of("???"));
        try (var tables = Files.list(GoFixture.repo().resolve("agent/src/main/resources/dev/attachproof/golang/layouts"))) {
            for (var table : tables.filter(f -> f.toString().endsWith(".tsv")).toList()) {
                Files.readAllLines(table).stream().filter(l -> l.startsWith("gstatus\t"))
                        .forEach(l -> words.add(l.split("\t", -1).length > 3 ? l.split("\t", -1)[3] : ""));
            }
        }
        assertTrue(words.size() > 8, words.toString());
        assertEquals(words, new TreeSet<>(strings(schema("goroutines").at("/properties/goroutines/items/properties/status/enum"))));
    }

    /** The checks the command runs and the serve tests go through refuse what the schemas refuse, and leave other output alone. */
    @Test
    void theChokepointsRefuseWhatTheSchemasRefuse() throws Exception {
        ObjectNode doctor = (ObjectNode) JSON.readTree(sample("doctor"));
        doctor.set("verdicts", doctor.remove("verdict"));
        String bad = JSON.writeValueAsString(doctor);
        assertTrue(Schemas.isDocument(bad));
        assertThrows(AssertionFailedError.class, () -> Schemas.assertValidIfDocument(bad));
        Schemas.assertValidIfDocument(sample("doctor"));
        Schemas.assertValidIfDocument("goroutine 1 [running]:\nmain.main()\n");
        Schemas.assertValidIfDocument("");
        Schemas.assertValidIfDocument("{\"ok\": true}\n");
        String error = sample("error");
        Schemas.assertValidAnswer(404, "application/json", error);
        assertThrows(AssertionFailedError.class, () -> Schemas.assertValidAnswer(400, "application/json", error), "another status");
        assertThrows(AssertionFailedError.class, () -> Schemas.assertValidAnswer(404, "text/html", error), "not JSON");
        assertThrows(AssertionFailedError.class, () -> Schemas.assertValidAnswer(200, "application/json", bad));
        Schemas.assertValidAnswer(200, "text/plain", "goroutine 1 [running]:\n");
        String body = "{\"error\": \"no endpoint '/'\", \"status\": 404}\n";
        String head = "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n";
        Schemas.assertValidRawAnswers("HTTP/1.1 100 Continue\r\n\r\n" + head + body, StandardCharsets.UTF_8);
        String wrong = body.replace("404}", "400}");
        assertThrows(AssertionFailedError.class, () -> Schemas.assertValidRawAnswers(head + wrong, StandardCharsets.UTF_8));
    }

    private static void assertValid(String name, ObjectNode doc) throws Exception {
        if (name.equals("error")) {
            Schemas.assertValid("error", "v1", JSON.writeValueAsString(doc));
        } else {
            Schemas.assertValid(JSON.writeValueAsString(doc));
        }
    }

    private static JsonNode schema(String name) throws Exception {
        return JSON.readTree(Files.readString(Schemas.file(name, "v1")));
    }

    /** Every "enum" in {@code node} that holds {@code value}. */
    private static List<JsonNode> enumsHolding(JsonNode node, String value) {
        List<JsonNode> out = new ArrayList<>();
        if (node.isObject()) {
            JsonNode e = node.get("enum");
            if (e != null && e.isArray()) {
                for (JsonNode v : e) {
                    if (v.asText().equals(value)) {
                        out.add(e);
                    }
                }
            }
            node.forEach(child -> out.addAll(enumsHolding(child, value)));
        } else if (node.isArray()) {
            node.forEach(child -> out.addAll(enumsHolding(child, value)));
        }
        return out;
    }

    /** The strings of an enum, in order, null and the matrix's own words (ok, unknown, skipped) left out. */
    private static Set<String> strings(JsonNode e) {
        Set<String> out = new java.util.LinkedHashSet<>();
        e.forEach(v -> {
            if (v.isTextual()) {
                out.add(v.asText());
            }
        });
        return out;
    }

    /** A document of each kind: from the writers where their records are small, else as printed. */
    private static String sample(String which) {
        Finding pass = Finding.of("target.exists").evidence("pid", 42).pass("pid 42 exists");
        Finding fail = Finding.of("yama.ptrace_scope").evidence("file", "/proc/sys/kernel/yama/ptrace_scope").evidence("ptrace_scope", 1)
                .fail("Yama ptrace_scope 1: only descendants", "run the debugger as the target's parent, or set it to 0");
        GoProcessScan.Result scan = new GoProcessScan.Result(
                List.of(new GoProcess(42, "server", 1000, "go1.22.5", "example.com/server", Verdict.NOT_ATTACHABLE, List.of("yama.ptrace_scope"))),
                List.of(new GoProcessScan.Uninspected(7, "init", 0, "EACCES", List.of(), "/proc/7/exe refused (EACCES)")));
        return switch (which) {
            case "doctor" -> DoctorJson.write(new Diagnosis(42, Verdict.NOT_ATTACHABLE, Verdict.NOT_ATTACHABLE, List.of(pass, fail),
                    Proof.notAttempted("--no-proof"), null),
                    new ContainerTarget("0123456789abcdef".repeat(4), 42, "/app/server", ContainerTarget.Chosen.INIT, 3, 1));
            case "doctor-environment" -> DoctorJson.writeEnvironment(List.of(pass, fail), scan);
            case "ps" -> PsJson.write(scan);
            case "matrix" -> MatrixJson.write(42, List.of(
                    new ProbeReport("baseline", null, "attachable", "ok", "", "CapEff: 000001ffffffffff"),
                    ProbeReport.skipped(Setting.YAMA_1, "changes the host-wide kernel.yama.ptrace_scope", ""),
                    new ProbeReport("seccomp-deny-ptrace", null, "not-attachable", "EPERM", "seccomp.ptrace", "Seccomp: 2")));
            case "compat" -> """
                    {"schema": "attachproof.compat/v1", "goVersion": "go1.26.0", "path": "example.com/server", "mainModule": "example.com/server",
                     "arch": "amd64", "dwarfVersion": 5, "debugInfo": true, "layout": "table go1.26-amd64", "layoutNotes": [],
                     "delveVersion": "1.20.2", "dlv": "/usr/bin/dlv", "foundIn": "PATH", "lookedIn": ["GOBIN: /root/go/bin/dlv (missing)"],
                     "goExtension": null, "supported": false, "delveRange": {"min": "1.18", "max": "1.20"},
                     "delveError": "Go version go1.26.0 is too recent (maximum supported version 1.20, please upgrade Delve)",
                     "goToolchain": "go1.26.0", "remedy": "Delve 1.26.0 or newer", "notes": []}
                    """;
            case "goroutines" -> """
                    {"schema": "attachproof.goroutines/v1", "pid": 42, "container": null, "goVersion": "go1.22.5", "arch": "amd64",
                     "stopped": true, "stoppedMicros": 812, "layoutSource": "table", "layout": "table go1.22-amd64", "listMethod": "symbols",
                     "notes": [], "phaseMicros": {"binary": 3000, "interrupt": 100, "unwind": 400},
                     "stopPhaseMicros": {"interrupt": 100, "wait": 200, "goroutines": 300, "stacks": 150, "detach": 62}, "stacksKept": 5,
                     "maxStopMicros": 50000, "readAfterStop": 0, "binaryCache": "hit",
                     "goroutines": [
                      {"id": 18, "status": "waiting", "waitReason": "chan receive", "waitMinutes": 0, "system": false,
                       "startFunction": "main.worker", "threadId": null, "lockedToThread": false, "readAfterStop": false,
                       "labels": {"job": "a"},
                       "waitingOn": [{"kind": "chan", "address": "0xc000080120", "op": "receive", "elemType": "int",
                                      "len": 0, "cap": 0, "closed": false}],
                       "frames": [{"function": "main.worker", "file": "/src/main.go", "line": 20, "pc": "0x4a1b2c", "inlined": false, "args": "0xc000012345, 0x0?"}],
                       "framesElided": 0, "stackNote": null,
                       "createdBy": {"function": "main.main", "file": "/src/main.go", "line": 64, "goroutineId": 1}}]}
                    """;
            case "error" -> """
                    {"error": "no process with pid 4194304 is visible here", "status": 404}
                    """;
            case "dap" -> """
                    {"schema": "attachproof.dap/v1", "pid": 42, "dlv": {"path": "/usr/bin/dlv", "version": "1.20.2", "foundIn": "PATH"},
                     "ok": false, "steps": [{"request": "start", "ok": true, "message": "dlv dap listening at 127.0.0.1:4000", "millis": 30},
                     {"request": "attach", "ok": false, "message": "Failed to attach: could not attach to pid 42: operation not permitted", "millis": 2}],
                     "threads": [], "explanation": [{"id": "yama.ptrace_scope", "summary": "scope 1", "remedy": null}]}
                    """;
            case "vscode" -> """
                    {"schema": "attachproof.vscode/v1", "pid": 42, "mode": "local", "works": true, "reason": "this host can attach",
                     "configuration": {"name": "Attach", "type": "go", "request": "attach", "mode": "local", "processId": 42},
                     "start": null, "substitutePath": [], "notes": [], "container": null, "dlv": null, "checks": []}
                    """;
            default -> throw new IllegalArgumentException(which);
        };
    }
}
