package dev.attachproof.testing;

import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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
        Path file = file(m.group(1), m.group(2));
        Schema schema = LOADED.computeIfAbsent(file.toString(), f -> {
            try {
                String text = Files.readString(file);
                assertTrue(text.contains("\"$id\": \"attachproof." + m.group(1) + "/" + m.group(2) + "\""), file + ": its $id is the document's schema");
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
}
