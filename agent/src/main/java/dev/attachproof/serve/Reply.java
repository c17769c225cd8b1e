package dev.attachproof.serve;

import dev.attachproof.report.JsonDocuments;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A whole answer, made before anything is sent: a failure while making it is still a clean JSON
 * error, and HEAD gets the Content-Length GET would.
 */
record Reply(int status, String mediaType, byte[] body, Map<String, String> headers) {
    static final String JSON = "application/json";

    static Reply json(String document) {
        return new Reply(200, JSON, document.getBytes(StandardCharsets.UTF_8), Map.of());
    }

    /** The error answer (docs/schemas/error.v1.schema.json): the problem and the remedy, as the README promises. */
    record ErrorDocument(String error, int status) {}

    /** {@code {"error": "...", "status": N}} on one line. */
    static Reply error(int status, String message, Map<String, String> headers) {
        String doc = JsonDocuments.line(new ErrorDocument(message, status));
        return new Reply(status, JSON, doc.getBytes(StandardCharsets.UTF_8), headers);
    }

    /** The same answer with one more header. */
    Reply withHeader(String name, String value) {
        Map<String, String> more = new LinkedHashMap<>(headers);
        more.put(name, value);
        return new Reply(status, mediaType, body, more);
    }
}
