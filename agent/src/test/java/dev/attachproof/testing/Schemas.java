package dev.attachproof.testing;

import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The contract, enforced: a document the tool printed is valid against the JSON Schema its
 * {@code schema} field names ({@code attachproof.NAME/v1} is {@code docs/schemas/NAME.v1.schema.json},
 * whose {@code $id} is that value), with networknt's validator (draft 2020-12).
 */
public final class Schemas {
    private static final Pattern SCHEMA = Pattern.compile("\"schema\"\\s*:\\s*\"attachproof\\.([a-z]+)/(v\\d+)\"");
    private static final SchemaRegistry REGISTRY = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);
    private static final Map<String, Schema> LOADED = new ConcurrentHashMap<>();

    private Schemas() {}

    /** The schema file of {@code attachproof.NAME/VERSION}. */
    public static Path file(String name, String version) {
        return GoFixture.repo().resolve("docs/schemas/" + name + "." + version + ".schema.json");
    }

    /** Fails the test with every violation when {@code json} does not match the schema it names. */
    public static void assertValid(String json) {
        Matcher m = SCHEMA.matcher(json);
        assertTrue(m.find(), "no attachproof schema named in:\n" + json);
        assertValid(m.group(1), m.group(2), json);
    }

    /**
     * Fails the test when {@code json} does not match {@code docs/schemas/NAME.VERSION.schema.json}:
     * for a document that names no schema of its own (the sidecar's error answer, {@code error.v1}).
     */
    public static void assertValid(String name, String version, String json) {
        Path file = file(name, version);
        Schema schema = LOADED.computeIfAbsent(file.toString(), f -> {
            try {
                String text = Files.readString(file);
                assertTrue(text.contains("\"$id\": \"attachproof." + name + "/" + version + "\""), file + ": its $id is attachproof." + name + "/" + version);
                // The $id is relative (the document's own schema value): it resolves against the file's URI.
                return REGISTRY.getSchema(SchemaLocation.of(file.toUri().toString()), text, InputFormat.JSON);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        List<Error> errors = schema.validate(json, InputFormat.JSON);
        if (!errors.isEmpty()) {
            fail(file.getFileName() + ": " + errors.size() + " violations:\n  "
                    + String.join("\n  ", errors.stream().map(Error::toString).toList()) + "\nin:\n" + json);
        }
    }

    /**
     * Validates {@code output} when it is an attachproof JSON document (an object whose {@code
     * schema} field names one), and does nothing otherwise (text, a traceback, a pprof profile,
     * nothing): what every command run by the tests goes through ({@link AgentCli}).
     */
    public static void assertValidIfDocument(String output) {
        if (isDocument(output)) {
            assertValid(output);
        }
    }

    /** Whether {@code output} is a JSON object naming an attachproof schema. */
    public static boolean isDocument(String output) {
        return output != null && output.stripLeading().startsWith("{") && SCHEMA.matcher(output).find();
    }

    /**
     * An answer of the sidecar ({@code attachproof serve}): an error (any status but 200) is the
     * one-line error document ({@code error.v1}, which names no schema) carrying the answer's own
     * status; a 200 JSON answer naming a schema is valid against it. {@code /healthz}'s
     * {@code {"ok": true}}, text and pprof answers, and HEAD's empty bodies are left alone.
     */
    public static void assertValidAnswer(int status, String mediaType, String body) {
        if (body == null || body.isEmpty()) {
            return;   // HEAD: the headers only
        }
        if (status != 200) {
            assertEquals("application/json", mediaType, "an error answer is JSON: " + body);
            assertValid("error", "v1", body);
            assertTrue(body.contains("\"status\": " + status + "}"), "the error document carries the answer's status " + status + ": " + body);
            return;
        }
        if ("application/json".equals(mediaType)) {
            assertValidIfDocument(body);
        }
    }

    /**
     * {@link HttpResponse.BodyHandlers#ofString()} with every answer checked by {@link
     * #assertValidAnswer}: the body handler of the tests' HTTP clients.
     */
    public static HttpResponse.BodyHandler<String> validatedBodies() {
        return info -> HttpResponse.BodySubscribers.mapping(HttpResponse.BodySubscribers.ofString(StandardCharsets.UTF_8), body -> {
            assertValidAnswer(info.statusCode(), info.headers().firstValue("Content-Type").orElse(""), body);
            return body;
        });
    }

    /**
     * The answers in {@code raw}, what a socket read from the sidecar ({@code decodedWith}: how its
     * bytes were made a string), each checked by {@link #assertValidAnswer}: status line, headers,
     * then Content-Length bytes of body; 1xx answers have none. An answer cut short (the server
     * closed, or the request was HEAD) ends the check.
     */
    public static void assertValidRawAnswers(String raw, Charset decodedWith) {
        byte[] bytes = raw.getBytes(decodedWith);
        int at = 0;
        while (at < bytes.length) {
            String rest = new String(bytes, at, bytes.length - at, StandardCharsets.ISO_8859_1);
            int end = rest.indexOf("\r\n\r\n");
            if (!rest.startsWith("HTTP/1.1 ") || end < 0) {
                return;
            }
            String[] lines = rest.substring(0, end).split("\r\n");
            int status = Integer.parseInt(lines[0].substring(9, 12));
            String type = "";
            int length = 0;
            for (String line : lines) {
                int colon = line.indexOf(':');
                String name = colon < 0 ? "" : line.substring(0, colon).trim();
                if (name.equalsIgnoreCase("Content-Type")) {
                    type = line.substring(colon + 1).trim();
                } else if (name.equalsIgnoreCase("Content-Length")) {
                    length = Integer.parseInt(line.substring(colon + 1).trim());
                }
            }
            at += end + 4;
            if (status < 200) {
                continue;
            }
            if (at + length > bytes.length) {
                return;
            }
            assertValidAnswer(status, type, new String(bytes, at, length, StandardCharsets.UTF_8));
            at += length;
        }
    }
}
