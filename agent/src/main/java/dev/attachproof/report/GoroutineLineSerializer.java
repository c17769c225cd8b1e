package dev.attachproof.report;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;

import java.io.IOException;
import java.util.Map;

/**
 * The goroutines document's fast path: a {@link GoroutineJson} written field by field through the
 * generator, as Jackson's bean serializer writes the record (JsonDocumentsTest holds the two
 * equal), without its reflective accessor calls per field, which made a 100,000-goroutine
 * document twice as slow to write as the hand-made text it replaced. Frames go through
 * {@link WrittenOnceSerializer}: each distinct frame's text is made once per document.
 */
final class GoroutineLineSerializer extends StdSerializer<GoroutineJson> {
    private static final SerializableString ID = new SerializedString("id");
    private static final SerializableString STATUS = new SerializedString("status");
    private static final SerializableString WAIT_REASON = new SerializedString("waitReason");
    private static final SerializableString WAIT_MINUTES = new SerializedString("waitMinutes");
    private static final SerializableString SYSTEM = new SerializedString("system");
    private static final SerializableString START_FUNCTION = new SerializedString("startFunction");
    private static final SerializableString THREAD_ID = new SerializedString("threadId");
    private static final SerializableString LOCKED_TO_THREAD = new SerializedString("lockedToThread");
    private static final SerializableString READ_AFTER_STOP = new SerializedString("readAfterStop");
    private static final SerializableString LABELS = new SerializedString("labels");
    private static final SerializableString WAITING_ON = new SerializedString("waitingOn");
    private static final SerializableString FRAMES = new SerializedString("frames");
    private static final SerializableString FRAMES_ELIDED = new SerializedString("framesElided");
    private static final SerializableString STACK_NOTE = new SerializedString("stackNote");
    private static final SerializableString CREATED_BY = new SerializedString("createdBy");
    private static final SerializableString FUNCTION = new SerializedString("function");
    private static final SerializableString FILE = new SerializedString("file");
    private static final SerializableString LINE = new SerializedString("line");
    private static final SerializableString GOROUTINE_ID = new SerializedString("goroutineId");

    private final WrittenOnceSerializer frames = new WrittenOnceSerializer();

    GoroutineLineSerializer() {
        super(GoroutineJson.class);
    }

    @Override
    public void serialize(GoroutineJson r, JsonGenerator g, SerializerProvider provider) throws IOException {
        g.writeStartObject();
        number(g, ID, r.id());
        string(g, STATUS, r.status());
        string(g, WAIT_REASON, r.waitReason());
        number(g, WAIT_MINUTES, r.waitMinutes());
        bool(g, SYSTEM, r.system());
        string(g, START_FUNCTION, r.startFunction());
        nullable(g, THREAD_ID, r.threadId());
        bool(g, LOCKED_TO_THREAD, r.lockedToThread());
        bool(g, READ_AFTER_STOP, r.readAfterStop());
        g.writeFieldName(LABELS);
        g.writeStartObject();
        for (Map.Entry<String, String> l : r.labels().entrySet()) {
            g.writeFieldName(l.getKey());
            g.writeString(l.getValue());
        }
        g.writeEndObject();
        g.writeFieldName(WAITING_ON);
        provider.defaultSerializeValue(r.waitingOn(), g);   // null mostly; records by Jackson when there are any
        g.writeFieldName(FRAMES);
        g.writeStartArray();
        for (GoroutineJson.Frame f : r.frames()) {
            frames.serialize(f, g, provider);
        }
        g.writeEndArray();
        number(g, FRAMES_ELIDED, r.framesElided());
        string(g, STACK_NOTE, r.stackNote());
        g.writeFieldName(CREATED_BY);
        GoroutineJson.CreatedBy c = r.createdBy();
        if (c == null) {
            g.writeNull();
        } else {
            g.writeStartObject();
            string(g, FUNCTION, c.function());
            string(g, FILE, c.file());
            number(g, LINE, c.line());
            nullable(g, GOROUTINE_ID, c.goroutineId());
            g.writeEndObject();
        }
        g.writeEndObject();
    }

    /** {@code "name": value}; null as null. */
    private static void string(JsonGenerator g, SerializableString name, String value) throws IOException {
        g.writeFieldName(name);
        g.writeString(value);
    }

    /** {@code "name": value}, unboxed: a goroutine's numbers cost no allocation. */
    private static void number(JsonGenerator g, SerializableString name, long value) throws IOException {
        g.writeFieldName(name);
        g.writeNumber(value);
    }

    /** {@code "name": value}, a whole number; null as null. */
    private static void nullable(JsonGenerator g, SerializableString name, Number value) throws IOException {
        if (value == null) {
            g.writeFieldName(name);
            g.writeNull();
        } else {
            number(g, name, value.longValue());
        }
    }

    private static void bool(JsonGenerator g, SerializableString name, boolean value) throws IOException {
        g.writeFieldName(name);
        g.writeBoolean(value);
    }
}
