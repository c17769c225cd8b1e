package dev.attachproof.report;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;

import java.io.IOException;
import java.util.Collection;
import java.util.Map;

/**
 * A check's {@code evidence}: the one open object of the contract (its keys and values are each
 * check's own: file contents, errno names, ids, lists of them). Maps in their order, collections,
 * strings, numbers as Java prints them, booleans and null; any other value as its
 * {@code toString()} (an {@code Errno} as its name, a path as its text), never as a bean.
 */
final class OpenValueSerializer extends StdSerializer<Object> {
    OpenValueSerializer() {
        super(Object.class);
    }

    @Override
    public void serialize(Object value, JsonGenerator g, SerializerProvider provider) throws IOException {
        switch (value) {
            case null -> g.writeNull();
            case String s -> g.writeString(s);
            case Boolean b -> g.writeBoolean(b);
            case Number n -> g.writeNumber(n.toString());
            case Map<?, ?> m -> {
                g.writeStartObject();
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    g.writeFieldName(String.valueOf(e.getKey()));
                    serialize(e.getValue(), g, provider);
                }
                g.writeEndObject();
            }
            case Collection<?> c -> {
                g.writeStartArray();
                for (Object o : c) {
                    serialize(o, g, provider);
                }
                g.writeEndArray();
            }
            default -> g.writeString(value.toString());
        }
    }
}
