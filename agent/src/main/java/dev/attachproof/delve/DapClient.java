package dev.attachproof.delve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The client side of the Debug Adapter Protocol, as far as an attach needs it: requests out,
 * responses and events in, each wait bounded. The framing is the protocol's base: a header
 * {@code Content-Length: N}, an empty line ({@code \r\n\r\n}), N bytes of JSON. One reader
 * thread parses the frames into a queue, so a wait is a {@code poll} with a timeout and a hung
 * adapter never hangs the caller; a closed connection arrives as {@link #CLOSED}.
 */
public final class DapClient implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNode CLOSED = JSON.createObjectNode().put("type", "<closed>");
    /** A frame larger than this is not an adapter talking: the connection is dropped. */
    private static final int MAX_FRAME = 64 << 20;

    private final Socket socket;
    private final OutputStream out;
    private final BlockingQueue<JsonNode> inbox = new LinkedBlockingQueue<>();
    private final List<JsonNode> events = new ArrayList<>();
    private int seq;

    /** A response: whether it succeeded, Delve's words when not, and its body (maybe missing). */
    public record Response(boolean success, String message, JsonNode body) {}

    /** No response within the wait, or the connection ended: the words say which. */
    public static final class DapException extends Exception {
        public DapException(String message) {
            super(message);
        }
    }

    private DapClient(Socket socket) throws IOException {
        this.socket = socket;
        this.out = socket.getOutputStream();
        InputStream in = new BufferedInputStream(socket.getInputStream());
        Thread.ofPlatform().daemon(true).name("dap-reader").start(() -> {
            try {
                JsonNode m;
                while ((m = readFrame(in)) != null) {
                    inbox.add(m);
                }
            } catch (IOException e) {
                // the adapter closed the connection, or sent what is not DAP
            }
            inbox.add(CLOSED);
        });
    }

    public static DapClient connect(InetSocketAddress address, Duration timeout) throws IOException {
        Socket s = new Socket();
        s.connect(address, (int) timeout.toMillis());
        s.setTcpNoDelay(true);
        return new DapClient(s);
    }

    /**
     * Sends {@code command} with {@code arguments} (null: none) and waits up to {@code timeout}
     * for its response; events that arrive meanwhile are kept for {@link #awaitEvent}.
     */
    public Response request(String command, ObjectNode arguments, Duration timeout) throws DapException {
        int mine = ++seq;
        ObjectNode m = JSON.createObjectNode().put("seq", mine).put("type", "request").put("command", command);
        if (arguments != null) {
            m.set("arguments", arguments);
        }
        try {
            byte[] body = JSON.writeValueAsBytes(m);
            out.write(("Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
        } catch (IOException e) {
            throw new DapException("could not send " + command + ": " + e.getMessage());
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            JsonNode r = next(deadline, command + " got no response within " + timeout.toMillis() + " ms");
            if (r.path("type").asText().equals("event")) {
                events.add(r);
            } else if (r.path("type").asText().equals("response") && r.path("request_seq").asInt() == mine) {
                return response(r);
            }
        }
    }

    /** Waits up to {@code timeout} for the event {@code name}, or finds it among those already received. */
    public JsonNode awaitEvent(String name, Duration timeout) throws DapException {
        for (JsonNode e : events) {
            if (e.path("event").asText().equals(name)) {
                events.remove(e);
                return e;
            }
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            JsonNode m = next(deadline, "no " + name + " event within " + timeout.toMillis() + " ms");
            if (m.path("event").asText().equals(name)) {
                return m;
            }
            if (m.path("type").asText().equals("event")) {
                events.add(m);
            }
        }
    }

    /** A new, empty arguments object. */
    public static ObjectNode arguments() {
        return JSON.createObjectNode();
    }

    private JsonNode next(long deadline, String timedOut) throws DapException {
        JsonNode m;
        try {
            m = inbox.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DapException("interrupted");
        }
        if (m == null) {
            throw new DapException(timedOut);
        }
        if (m == CLOSED) {
            inbox.add(CLOSED);   // every later wait sees it too
            throw new DapException("the debug adapter closed the connection");
        }
        return m;
    }

    /**
     * A failed response's words: {@code body.error.format} (Delve's full sentence, e.g. "Failed
     * to attach: could not attach to pid 7: …"), else {@code message} (its short form).
     */
    private static Response response(JsonNode r) {
        boolean ok = r.path("success").asBoolean(false);
        JsonNode format = r.path("body").path("error").path("format");
        String message = ok ? null : format.isTextual() ? format.asText() : r.path("message").asText("failed, without a message");
        return new Response(ok, message, r.path("body"));
    }

    /** One frame: headers up to an empty line, then Content-Length bytes of JSON; null at end of stream. */
    static JsonNode readFrame(InputStream in) throws IOException {
        int length = -1;
        while (true) {
            String line = headerLine(in);
            if (line == null) {
                return null;
            }
            if (line.isEmpty()) {
                break;
            }
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase("Content-Length")) {
                try {
                    length = Integer.parseInt(line.substring(colon + 1).trim());
                } catch (NumberFormatException e) {
                    throw new IOException("bad Content-Length: " + line);
                }
            }
        }
        if (length < 0 || length > MAX_FRAME) {
            throw new IOException("frame without a usable Content-Length (" + length + ")");
        }
        byte[] body = in.readNBytes(length);
        if (body.length < length) {
            return null;
        }
        return JSON.readTree(body);
    }

    /** A header line without its CRLF; null at end of stream. */
    private static String headerLine(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) != -1) {
            if (c == '\n') {
                int n = sb.length();
                return n > 0 && sb.charAt(n - 1) == '\r' ? sb.substring(0, n - 1) : sb.toString();
            }
            if (sb.length() > 8192) {
                throw new IOException("header line too long");
            }
            sb.append((char) c);
        }
        return null;
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
