package dev.attachproof.serve;

import dev.attachproof.report.Json;

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

    /** {@code {"error": "...", "status": N}}: the one line that names the problem and the remedy. */
    static Reply error(int status, String message, Map<String, String> headers) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("error", message);
        doc.put("status", status);
        return new Reply(status, JSON, Json.write(doc).getBytes(StandardCharsets.UTF_8), headers);
    }
}
