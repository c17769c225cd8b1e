package dev.attachproof.report;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.PrettyPrinter;
import com.fasterxml.jackson.core.util.Instantiatable;

import java.io.IOException;

/**
 * The layout of every attachproof document, as the contract's examples and the first writer
 * printed it: {@code "key": value}, each member and element on a line of its own indented by two
 * spaces, {@code {}} and {@code []} when empty; and from the {@code compactFrom}-th level of
 * nesting on (the root is level 1), a container on one line, {@code {"id": 1, "frames": [...]}}:
 * the goroutines document keeps each goroutine on one line (level 3), the sidecar's error answer
 * is one line (level 1).
 *
 * <p>A printer counts the levels it is in, so each generator gets its own ({@link #createInstance}).
 */
final class DocumentPrinter implements PrettyPrinter, Instantiatable<DocumentPrinter> {
    /** "\n" and the indentation of each level, made once. */
    private static final String[] NEWLINE = new String[32];

    static {
        for (int i = 0; i < NEWLINE.length; i++) {
            NEWLINE[i] = "\n" + "  ".repeat(i);
        }
    }

    private final int compactFrom;
    /** How many containers are open. */
    private int level;

    DocumentPrinter(int compactFrom) {
        this.compactFrom = compactFrom;
    }

    @Override
    public DocumentPrinter createInstance() {
        return new DocumentPrinter(compactFrom);
    }

    /** Whether the innermost open container is laid out a member a line. */
    private boolean broken() {
        return level < compactFrom;
    }

    private void newline(JsonGenerator g, int indent) throws IOException {
        g.writeRaw(indent < NEWLINE.length ? NEWLINE[indent] : "\n" + "  ".repeat(indent));
    }

    @Override
    public void writeRootValueSeparator(JsonGenerator g) throws IOException {
        g.writeRaw('\n');
    }

    @Override
    public void writeStartObject(JsonGenerator g) throws IOException {
        open(g, '{');
    }

    @Override
    public void beforeObjectEntries(JsonGenerator g) throws IOException {
        if (broken()) {
            newline(g, level);
        }
    }

    @Override
    public void writeObjectFieldValueSeparator(JsonGenerator g) throws IOException {
        g.writeRaw(": ");
    }

    @Override
    public void writeObjectEntrySeparator(JsonGenerator g) throws IOException {
        separator(g);
    }

    @Override
    public void writeEndObject(JsonGenerator g, int entries) throws IOException {
        close(g, entries, '}');
    }

    @Override
    public void writeStartArray(JsonGenerator g) throws IOException {
        open(g, '[');
    }

    @Override
    public void beforeArrayValues(JsonGenerator g) throws IOException {
        beforeObjectEntries(g);
    }

    @Override
    public void writeArrayValueSeparator(JsonGenerator g) throws IOException {
        separator(g);
    }

    @Override
    public void writeEndArray(JsonGenerator g, int values) throws IOException {
        close(g, values, ']');
    }

    private void open(JsonGenerator g, char bracket) throws IOException {
        g.writeRaw(bracket);
        level++;
    }

    private void separator(JsonGenerator g) throws IOException {
        if (broken()) {
            g.writeRaw(',');
            newline(g, level);
        } else {
            g.writeRaw(", ");
        }
    }

    /** Closing a container of {@code members}: a broken one that has any ends on a line of its own. */
    private void close(JsonGenerator g, int members, char bracket) throws IOException {
        boolean broken = broken();
        level--;
        if (broken && members > 0) {
            newline(g, level);
        }
        g.writeRaw(bracket);
    }
}
