package dev.attachproof.serve;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The request head as RFC 9112 reads it: lenient where it allows (LF, leading empty lines), strict where readers could disagree. */
class RequestHeadTest {
    private static RequestHead parse(String head) {
        return RequestHead.parse(head.getBytes(StandardCharsets.ISO_8859_1), new String[1]);
    }

    private static int refused(String head) {
        return assertThrows(HttpError.class, () -> parse(head).bodyLength(), head).status();
    }

    @Test
    void targetsSplitIntoPathAndQuery() {
        RequestHead h = parse("\r\n\nGET /v1/doctor?pid=42 HTTP/1.1\nHost: x\r\nConnection: keep-alive, close\n\n");
        assertEquals("GET", h.method());
        assertEquals("/v1/doctor", h.path());
        assertEquals("pid=42", h.query());
        assertEquals("x", h.field("host"));
        assertTrue(h.wantsClose());
        assertEquals(0, h.bodyLength());
        assertEquals("/healthz", parse("GET http://example.com:7070/healthz HTTP/1.1\r\n\r\n").path(), "absolute-form");
        assertEquals("*", parse("OPTIONS * HTTP/1.1\r\n\r\n").path());
        assertEquals("example.com:443", parse("CONNECT example.com:443 HTTP/1.1\r\n\r\n").path());
        assertNull(parse("GET /v1/ps HTTP/1.1\r\n\r\n").query());
        assertTrue(parse("GET / HTTP/1.0\r\n\r\n").wantsClose(), "HTTP/1.0 closes unless told otherwise");
        assertFalse(parse("GET / HTTP/1.1\r\n\r\n").wantsClose());
        assertEquals(5, parse("POST /v1/ps HTTP/1.1\r\nContent-Length: 5\r\n\r\n").bodyLength());
    }

    @Test
    void whatTwoReadersCouldReadTwoWaysIsRefused() {
        for (String head : List.of(
                "GET /healthz HTTP/1.1\rHost: x\r\n\r\n",                           // a bare CR
                "GET  /healthz HTTP/1.1\r\n\r\n",                                     // two spaces
                "GET /healthz\r\n\r\n",                                               // no version
                "GET /heal thz HTTP/1.1\r\n\r\n",
                "GET /healthz HTTP/1.1\r\nHost : x\r\n\r\n",                          // space before the colon
                "GET /healthz HTTP/1.1\r\nX-A: 1\r\n folded\r\n\r\n",                // obs-fold
                "GET /healthz HTTP/1.1\r\nX-A: \u0001\r\n\r\n",                       // a control character
                "POST /v1/ps HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
                "POST /v1/ps HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
                "POST /v1/ps HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n",
                "POST /v1/ps HTTP/1.1\r\nContent-Length: +5\r\n\r\n")) {
            assertEquals(400, refused(head), head);
        }
        assertEquals(505, refused("GET /healthz HTTP/2.0\r\n\r\n"));
        StringBuilder many = new StringBuilder("GET /healthz HTTP/1.1\r\n");
        for (int i = 0; i <= 100; i++) {
            many.append("X-").append(i).append(": 1\r\n");
        }
        assertEquals(431, refused(many.append("\r\n").toString()));
    }
}
