package dev.attachproof.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.attachproof.diagnose.Check;
import dev.attachproof.diagnose.Doctor;
import dev.attachproof.testing.Schemas;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.opentest4j.AssertionFailedError;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The schema files themselves: their check-id enums are the doctor's checks (a check added in
 * code and not in the contract fails here), and a document with a renamed field is refused,
 * so the validation the command tests run can fail.
 */
class SchemaFilesTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @ParameterizedTest
    @ValueSource(strings = {"dap", "vscode"})
    void checkIdsAreTheDoctorsChecks(String name) throws Exception {
        JsonNode schema = JSON.readTree(Files.readString(Schemas.file(name, "v1")));
        JsonNode items = schema.get("properties").get(name.equals("dap") ? "explanation" : "checks").get("items");
        List<String> ids = new ArrayList<>();
        items.get("properties").get("id").get("enum").forEach(id -> ids.add(id.asText()));
        assertEquals(new TreeSet<>(Doctor.standardChecks(null).stream().map(Check::id).toList()), new TreeSet<>(ids));
    }

    @ParameterizedTest
    @ValueSource(strings = {"dap", "vscode"})
    void aRenamedFieldIsRefused(String name) throws Exception {
        ObjectNode doc = (ObjectNode) JSON.readTree(name.equals("dap") ? DAP : VSCODE);
        Schemas.assertValid(JSON.writeValueAsString(doc));
        doc.set("process", doc.remove("pid"));
        assertThrows(AssertionFailedError.class, () -> Schemas.assertValid(JSON.writeValueAsString(doc)));
    }

    private static final String DAP = """
            {"schema": "attachproof.dap/v1", "pid": 42, "dlv": {"path": "/usr/bin/dlv", "version": "1.20.2", "foundIn": "PATH"},
             "ok": false, "steps": [{"request": "start", "ok": true, "message": "dlv dap listening at 127.0.0.1:4000", "millis": 30},
             {"request": "attach", "ok": false, "message": "Failed to attach: could not attach to pid 42: operation not permitted", "millis": 2}],
             "threads": [], "explanation": [{"id": "yama.ptrace_scope", "summary": "scope 1", "remedy": null}]}
            """;
    private static final String VSCODE = """
            {"schema": "attachproof.vscode/v1", "pid": 42, "mode": "local", "works": true, "reason": "this host can attach",
             "configuration": {"name": "Attach", "type": "go", "request": "attach", "mode": "local", "processId": 42},
             "start": null, "substitutePath": [], "notes": [], "container": null, "dlv": null, "checks": []}
            """;
}
