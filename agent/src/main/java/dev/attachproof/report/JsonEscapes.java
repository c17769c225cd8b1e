package dev.attachproof.report;

import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.io.SerializedString;

/**
 * Which characters a document's strings escape: beyond what JSON requires (the C0 controls, the
 * quote, the backslash), DEL, the C1 controls and U+2028/U+2029 too, as Go's encoding/json
 * writes the two separators, so that a document printed on a terminal or embedded in a script
 * carries none of them raw. Every JSON reader reads them back. All as backslash n, r or t, or
 * as backslash u and four hex digits in lower case (backspace and form feed too: as the documents
 * always wrote them).
 */
final class JsonEscapes extends CharacterEscapes {
    private static final int[] ASCII = standardAsciiEscapesForJSON();
    /** The escapes of U+0080..U+009F. */
    private static final SerializableString[] C1 = new SerializableString[0x20];
    private static final SerializableString LINE_SEPARATOR = new SerializedString("\\u2028");
    private static final SerializableString PARAGRAPH_SEPARATOR = new SerializedString("\\u2029");

    static {
        ASCII['\b'] = ESCAPE_STANDARD;
        ASCII['\f'] = ESCAPE_STANDARD;
        ASCII[0x7f] = ESCAPE_STANDARD;
        for (int i = 0; i < C1.length; i++) {
            C1[i] = new SerializedString(String.format("\\u%04x", 0x80 + i));
        }
    }

    @Override
    public int[] getEscapeCodesForAscii() {
        return ASCII;
    }

    @Override
    public SerializableString getEscapeSequence(int ch) {
        if (ch >= 0x80 && ch <= 0x9f) {
            return C1[ch - 0x80];
        }
        return ch == 0x2028 ? LINE_SEPARATOR : ch == 0x2029 ? PARAGRAPH_SEPARATOR : null;
    }
}
