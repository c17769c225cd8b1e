package dev.attachproof.delve;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The DAP framing on recorded bytes, and an adapter that never answers or answers out of order. */
class DapClientTest {

    private static InputStream bytes(String s) {
        return new ByteArrayInputStream(s.getBytes(StandardCharsets.UTF_8));
    }

    private static String frame(String json) {
        return "Content-Length: " + json.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + json;
    }

    @Test
    void framesAreReadBackToBackWithAnyHeaderCaseAndExtraHeaders() throws IOException {
        String first = "{\"type\":\"event\",\"event\":\"initialized\",\"seq\":0}";
        String second = "{\"type\":\"response\",\"request_seq\":1,\"success\":true,\"body\":{\"w\":\"ü\"}}";
        InputStream in = bytes(frame(first) + "content-length: " + second.getBytes(StandardCharsets.UTF_8).length
                + "\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n" + second);
        assertEquals("initialized", DapClient.readFrame(in).get("event").asText());
        assertEquals("ü", DapClient.readFrame(in).get("body").get("w").asText(), "Content-Length counts bytes, not chars");
        assertNull(DapClient.readFrame(in));
    }

    @Test
    void aTruncatedOrLengthlessFrameIsNotAMessage() {
        assertNull(assertDoesNotHang(() -> DapClient.readFrame(bytes("Content-Length: 50\r\n\r\n{\"type\":"))));
        assertThrows(IOException.class, () -> DapClient.readFrame(bytes("X: 1\r\n\r\n{}")));
        assertThrows(IOException.class, () -> DapClient.readFrame(bytes("Content-Length: x\r\n\r\n{}")));
    }

    @Test
    void anAdapterThatNeverAnswersIsATimeoutNotAHang() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             DapClient dap = DapClient.connect(new InetSocketAddress(server.getInetAddress(), server.getLocalPort()), Duration.ofSeconds(5));
             Socket silent = server.accept()) {
            DapClient.DapException e = assertThrows(DapClient.DapException.class,
                    () -> dap.request("attach", DapClient.arguments().put("processId", 1), Duration.ofMillis(300)));
            assertEquals("attach got no response within 300 ms", e.getMessage());
            assertTrue(silent.isConnected());
        }
    }

    @Test
    void eventsBeforeTheResponseAreKeptAndAFailureCarriesDelvesFullSentence() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             DapClient dap = DapClient.connect(new InetSocketAddress(server.getInetAddress(), server.getLocalPort()), Duration.ofSeconds(5));
             Socket adapter = server.accept()) {
            OutputStream out = adapter.getOutputStream();
            out.write(frame("{\"type\":\"response\",\"request_seq\":99,\"success\":true}").getBytes(StandardCharsets.UTF_8));
            out.write(frame("{\"type\":\"event\",\"event\":\"initialized\"}").getBytes(StandardCharsets.UTF_8));
            out.write(frame("{\"type\":\"response\",\"request_seq\":1,\"success\":false,\"message\":\"Failed to attach\","
                    + "\"body\":{\"error\":{\"id\":3001,\"format\":\"Failed to attach: could not attach to pid 7: operation not permitted\"}}}")
                    .getBytes(StandardCharsets.UTF_8));
            out.flush();
            DapClient.Response r = dap.request("attach", null, Duration.ofSeconds(5));
            assertFalse(r.success());
            assertEquals("Failed to attach: could not attach to pid 7: operation not permitted", r.message());
            assertEquals("initialized", dap.awaitEvent("initialized", Duration.ofMillis(1)).get("event").asText());
            adapter.close();
            DapClient.DapException closed = assertThrows(DapClient.DapException.class,
                    () -> dap.request("disconnect", null, Duration.ofSeconds(5)));
            assertTrue(closed.getMessage().startsWith("could not send disconnect") || closed.getMessage().equals("the debug adapter closed the connection"),
                    closed.getMessage());
        }
    }

    private static <T> T assertDoesNotHang(org.junit.jupiter.api.function.ThrowingSupplier<T> s) {
        return org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(Duration.ofSeconds(10), s);
    }
}
