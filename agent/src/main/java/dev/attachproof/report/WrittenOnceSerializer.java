package dev.attachproof.report;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;

import java.io.IOException;
import java.util.Map;

/**
 * For a record that recurs through one document, the same object each time (a frame shared by
 * thousands of goroutines' stacks): written once as text ({@link JsonDocuments#text}, one line),
 * then that text, as UTF-8 made once, wherever the object recurs. The texts are kept for the
 * document being written, in the map its writer carries as the attribute {@link #TEXTS} (by
 * identity); without one, each occurrence is written anew.
 */
final class WrittenOnceSerializer extends StdSerializer<Object> {
    /** The attribute: a {@code Map<Object, SerializableString>} by identity, for one document. */
    static final Object TEXTS = WrittenOnceSerializer.class;

    WrittenOnceSerializer() {
        super(Object.class);
    }

    @Override
    public void serialize(Object value, JsonGenerator g, SerializerProvider provider) throws IOException {
        @SuppressWarnings("unchecked")
        Map<Object, SerializableString> texts = (Map<Object, SerializableString>) provider.getAttribute(TEXTS);
        SerializableString text = texts == null ? null : texts.get(value);
        if (text == null) {
            text = new SerializedString(JsonDocuments.text(value));
            if (texts != null) {
                texts.put(value, text);
            }
        }
        g.writeRawValue(text);
    }
}
