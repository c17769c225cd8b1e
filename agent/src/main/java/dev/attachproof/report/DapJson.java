package dev.attachproof.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.attachproof.delve.DapAttach;

import java.util.List;

/** {@code dap --json}: schema attachproof.dap/v1, written by Jackson from the records below (their order is the document's). */
public final class DapJson {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private DapJson() {}

    record Document(String schema, int pid, Dlv dlv, boolean ok, List<DapAttach.Step> steps, List<DapAttach.GoThread> threads,
                    List<Explanation> explanation) {}

    /** The Delve binary: its path, version (from its build info or `dlv version`) and how it was named ("--dlv", "PATH"). */
    record Dlv(String path, String version, String foundIn) {}

    /** A failing doctor check: its id, what it found, and what to do. */
    record Explanation(String id, String summary, String remedy) {}

    public static String write(DapReport r) {
        Document d = new Document("attachproof.dap/v1", r.pid(),
                new Dlv(r.dlv().path().toString(), r.dlv().version(), r.foundIn()), r.outcome().ok(), r.outcome().steps(),
                r.outcome().threads(), r.failingChecks().stream().map(f -> new Explanation(f.id(), f.summary(), f.remedy())).toList());
        try {
            return JSON.writeValueAsString(d) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
