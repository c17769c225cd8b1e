package dev.attachproof.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.attachproof.delve.DelveBinary;
import dev.attachproof.delve.DelveLocator;
import dev.attachproof.diagnose.Status;
import dev.attachproof.vscode.LaunchAdvice;
import dev.attachproof.vscode.SourceMap;
import dev.attachproof.vscode.TargetPlace;

import java.util.List;

/** {@code vscode --json}: schema attachproof.vscode/v1, written by Jackson from the records below (their order is the document's). */
public final class VscodeJson {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private VscodeJson() {}

    record Document(String schema, int pid, String mode, boolean works, String reason, ObjectNode configuration, Start start,
                    List<SourceMap.Rule> substitutePath, List<String> notes, Container container, Dlv dlv, List<Check> checks) {}

    /** Remote: the commands that start Delve beside the target, and what they assume. */
    record Start(List<String> commands, List<String> notes) {}

    /** The target's container: null outside one. */
    record Container(String id, String runtime, int pidInside, boolean sameMountNamespace, Pod pod) {}

    record Pod(String namespace, String name, String container) {}

    /** The Delve found (null: none): as in dap's document. */
    record Dlv(String path, String version, String foundIn) {}

    /** A doctor finding that bears on the attach: failing (local), or a debug session's warning. */
    record Check(String id, Status status, String summary, String remedy) {}

    public static String write(LaunchAdvice a, DelveBinary dlv, DelveLocator.Search search) {
        TargetPlace p = a.place();
        Container container = p.containerId() == null ? null : new Container(p.containerId(), p.runtime(), p.pidInside(), p.sameMounts(),
                p.pod() == null ? null : new Pod(p.pod().namespace(), p.pod().name(), p.pod().container()));
        Document d = new Document("attachproof.vscode/v1", a.pid(), a.mode(), a.works(), a.reason(), a.configuration(),
                a.start() == null ? null : new Start(a.start().commands(), a.start().notes()), a.sources().rules(), a.sources().notes(),
                container, search.found() == null ? null : new Dlv(search.found().path().toString(),
                        dlv == null ? null : dlv.version(), search.found().foundIn()),
                a.checks().stream().map(f -> new Check(f.id(), f.status(), f.summary(), f.remedy())).toList());
        try {
            return JSON.writeValueAsString(d) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
