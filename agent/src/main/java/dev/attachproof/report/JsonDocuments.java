package dev.attachproof.report;

import com.fasterxml.jackson.core.JsonFactoryBuilder;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Map;

/**
 * Writes the documents of docs/contract.md from their records with Jackson: the records' component
 * order is the documents' field order, null is written as null (a field is never left out), and
 * the layout ({@link DocumentPrinter}) and the escapes ({@link JsonEscapes}) are the contract's.
 * A document ends with a newline.
 */
public final class JsonDocuments {
    private static final JsonMapper MAPPER = JsonMapper.builder(new JsonFactoryBuilder()
                    .characterEscapes(new JsonEscapes())
                    .disable(JsonWriteFeature.WRITE_HEX_UPPER_CASE)
                    // A character beyond U+FFFF as its four UTF-8 bytes, not as an escaped surrogate pair.
                    .enable(JsonWriteFeature.COMBINE_UNICODE_SURROGATES_IN_UTF8)
                    .build())
            // The caller owns the stream: a sidecar's answer or standard output goes on after the document.
            .disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET)
            .build();
    private static final ObjectWriter BROKEN = MAPPER.writer(new DocumentPrinter(Integer.MAX_VALUE));
    private static final ObjectWriter ONE_LINE = MAPPER.writer(new DocumentPrinter(1));

    private JsonDocuments() {}

    /** {@code document}, a member a line. */
    public static String write(Object document) {
        return write(BROKEN, document);
    }

    /** {@code document} on one line: for an answer that must stay on one (the sidecar's errors). */
    public static String line(Object document) {
        return text(document) + "\n";
    }

    /**
     * {@code document} to {@code out} as Jackson walks it (a list in it is written an element at
     * a time, never held as text), its containers from level {@code compactFrom} on each on one
     * line; {@code attributes} are its serializers' ({@link WrittenOnceSerializer#TEXTS}).
     */
    static void write(Object document, int compactFrom, Map<?, ?> attributes, OutputStream out) throws IOException {
        MAPPER.writer(new DocumentPrinter(compactFrom)).withAttributes(attributes).writeValue(out, document);
        out.write('\n');
    }

    /** {@code value} on one line, without the newline: a part of a document. */
    static String text(Object value) {
        try {
            return ONE_LINE.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write " + value.getClass().getSimpleName() + ": " + e.getMessage(), e);
        }
    }

    private static String write(ObjectWriter writer, Object document) {
        try {
            return writer.writeValueAsString(document) + "\n";
        } catch (JsonProcessingException e) {
            // Records of strings, numbers and lists: nothing in them can fail to be written.
            throw new IllegalStateException("cannot write " + document.getClass().getSimpleName() + ": " + e.getMessage(), e);
        }
    }
}
