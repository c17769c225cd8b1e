package dev.attachproof.serve;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The note header carries a container's executable path, which its owner chose: never a line break, never raw non-ASCII. */
class NoteHeaderTest {
    @Test
    void aPathWithALineBreakOrNonAsciiStaysOneVisibleAsciiValue() {
        assertEquals("container 1a2b3c4d5e6f: pid 42 (/app/x\\u000d\\u000aSet-Cookie: a=b), its init process",
                Endpoints.fieldValue("container 1a2b3c4d5e6f: pid 42 (/app/x\r\nSet-Cookie: a=b), its init process"));
        assertEquals("(/srv/caf\\u00e9 \\u005c)", Endpoints.fieldValue("(/srv/café \\)"));
        assertEquals("pid 7 is thread 7 of process 5; diagnosing 5", Endpoints.fieldValue("pid 7 is thread 7 of process 5; diagnosing 5"));
    }
}
