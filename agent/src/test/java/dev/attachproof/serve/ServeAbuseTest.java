package dev.attachproof.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.attachproof.testing.Schemas;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The sidecar against clients that misbehave on purpose, over raw sockets (bytes the JDK's
 * HttpClient would never send): slow request heads by the hundred, LF-only lines, CONNECT,
 * asterisk and authority-looking targets, Content-Length with Transfer-Encoding, a token in the
 * query, line separators in a query. Each is answered with the one-line JSON error (or the
 * answer) and logged in one line, or, for a head that never completes, the connection is closed
 * in bounded time; /healthz answers throughout. Loopback only: the slow clients connect from
 * 127.0.0.2, which Linux routes over lo like 127.0.0.1.
 */
class ServeAbuseTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ByteArrayOutputStream LOG = new ByteArrayOutputStream();
    private static SidecarServer server;

    @BeforeAll
    static void start() throws IOException {
        server = SidecarServer.start(ServeSettings.of("127.0.0.1:0", null, null, 1000, 1000, 1),
                new PrintStream(LOG, true, StandardCharsets.UTF_8), false);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.stop();
        }
    }

    /** 300 connections that send part of a head and stall: /healthz answers every probe, from another address and from theirs. */
    @Test
    void slowHeadsByTheHundredDoNotTakeHealthzDown() throws Exception {
        List<Socket> slow = new ArrayList<>();
        InetAddress attacker = InetAddress.getByName("127.0.0.2");
        try {
            for (int i = 0; i < 300; i++) {
                Socket s = new Socket();
                s.bind(new InetSocketAddress(attacker, 0));
                try {
                    s.connect(server.address(), 2_000);
                    s.getOutputStream().write("GET /v1/ps HTTP/1.1\r\nHo".getBytes(StandardCharsets.ISO_8859_1));
                } catch (IOException e) {
                    // refused or closed by the server: that is its right, the probes below are the test
                }
                slow.add(s);
            }
            int answered = 0;
            int probes = 36;
            for (int i = 0; i < probes; i++) {
                InetAddress from = i % 2 == 0 ? InetAddress.getByName("127.0.0.1") : attacker;
                String r = exchange(from, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 5_000);
                if (r.startsWith("HTTP/1.1 200 ")) {
                    answered++;
                }
            }
            assertEquals(probes, answered, "/healthz probes answered beside 300 slow connections");
        } finally {
            for (Socket s : slow) {
                s.close();
            }
        }
    }

    /** A head that never completes is cut off within a few seconds, not held for as long as the client likes. */
    @Test
    void anIncompleteHeadIsCutOffInSeconds() throws Exception {
        try (Socket s = new Socket(server.address().getAddress(), server.address().getPort())) {
            s.setSoTimeout(30_000);
            long t0 = System.nanoTime();
            s.getOutputStream().write("GET /v1/ps HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.ISO_8859_1));
            String answer = readAll(s.getInputStream());
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms < 8_000, "closed after " + ms + " ms: " + answer);
            assertTrue(answer.isEmpty() || answer.startsWith("HTTP/1.1 408 "), answer);
        }
    }

    /**
     * A kept connection reused near the idle limit: the head's clock starts at its first byte. CI
     * once got a 408 for a JDK HttpClient request whose head began just before the previous
     * answer's 5 s were up; here the head begins 4 s after the answer and ends 1.5 s later.
     */
    @Test
    void aHeadBegunJustBeforeTheIdleLimitIsAnswered() throws Exception {
        try (Socket s = new Socket(server.address().getAddress(), server.address().getPort())) {
            s.setSoTimeout(30_000);
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            out.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            String first = readOneAnswer(in);
            assertTrue(first.startsWith("HTTP/1.1 200 "), first);
            Thread.sleep((Http1Server.HEAD_SECONDS - 1) * 1000L);
            out.write("GET /healthz HTTP/1.1\r\n".getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            Thread.sleep(1500);
            out.write("Host: x\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            String second = readAll(in);
            assertTrue(second.startsWith("HTTP/1.1 200 "), second);
        }
    }

    @Test
    void anLfOnlyRequestIsAnswered() throws Exception {
        String r = exchange(InetAddress.getByName("127.0.0.1"), "GET /healthz HTTP/1.1\nHost: x\nConnection: close\n\n", 10_000);
        assertTrue(r.startsWith("HTTP/1.1 200 "), r);
        assertTrue(r.endsWith("{\"ok\": true}\n") || r.contains("\"ok\""), r);
    }

    /** What the JDK's server answered itself, in HTML and unlogged: now the JSON error, and a log line each. */
    @Test
    void protocolOddsAreJsonErrorsAndLogged() throws Exception {
        record Odd(String request, int status, String says, String logged) {}
        List<Odd> odds = List.of(
                new Odd("GET //healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 404, "no endpoint", " GET //healthz 404 "),
                new Odd("OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 405, "read-only", " OPTIONS * 405 "),
                new Odd("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\nConnection: close\r\n\r\n", 405, "read-only",
                        " CONNECT example.com:443 405 "),
                new Odd("POST /v1/ps HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                        400, "Transfer-Encoding", " POST /v1/ps 400 "),
                new Odd("GET /v1/doctor?pid=%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 400, "malformed", " GET /v1/doctor?pid=%zz 400 "));
        for (Odd o : odds) {
            int before = logLines().size();
            String r = exchange(InetAddress.getByName("127.0.0.1"), o.request(), 10_000);
            assertTrue(r.startsWith("HTTP/1.1 " + o.status() + " "), o.request() + " -> " + r);
            String head = r.substring(0, r.indexOf("\r\n\r\n"));
            assertTrue(head.contains("\r\nContent-Type: application/json\r\n"), r);
            String body = r.substring(r.indexOf("\r\n\r\n") + 4);
            assertOneLineError(body, o.status(), o.says());
            List<String> lines = logLines().subList(before, logLines().size());
            assertEquals(1, lines.size(), o.request() + " logged: " + lines);
            assertTrue(lines.getFirst().contains(o.logged()), lines.getFirst());
        }
        assertTrue(exchange(InetAddress.getByName("127.0.0.1"), "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                10_000).startsWith("HTTP/1.1 200 "));
    }

    @Test
    void errorBodiesAreOneLine() throws Exception {
        String r = exchange(InetAddress.getByName("127.0.0.1"), "GET /v1/doctor HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 10_000);
        assertTrue(r.startsWith("HTTP/1.1 400 "), r);
        assertOneLineError(r.substring(r.indexOf("\r\n\r\n") + 4), 400, "no pid");
    }

    /** A token in the query is refused, and never written to the log. */
    @Test
    void aTokenInTheQueryIsRedactedInTheLog() throws Exception {
        String secret = "s3cr3t0123456789abcdef";
        int before = logLines().size();
        String r = exchange(InetAddress.getByName("127.0.0.1"),
                "GET /v1/ps?access_token=" + secret + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 10_000);
        assertTrue(r.startsWith("HTTP/1.1 400 "), r);
        assertFalse(r.contains(secret), r);
        List<String> lines = logLines().subList(before, logLines().size());
        assertEquals(1, lines.size(), lines.toString());
        assertFalse(lines.getFirst().contains(secret), lines.getFirst());
        assertTrue(lines.getFirst().contains("access_token=REDACTED"), lines.getFirst());
    }

    /** C1 controls and Unicode line separators are line breaks to some log readers: never written raw. */
    @Test
    void lineBreakingCharactersNeverReachTheLogRaw() throws Exception {
        for (String escaped : List.of("%C2%9B", "%C2%85", "%E2%80%A8", "%E2%80%A9", "%0d%0a")) {
            int before = logLines().size();
            String r = exchange(InetAddress.getByName("127.0.0.1"), "GET /v1/doctor?" + escaped + "x=1 HTTP/1.1\r\nHost: x\r\n"
                    + "Connection: close\r\n\r\n", 10_000);
            assertTrue(r.startsWith("HTTP/1.1 400 "), r);
            String logged = LOG.toString(StandardCharsets.UTF_8);
            List<String> lines = logLines().subList(before, logLines().size());
            assertEquals(1, lines.size(), escaped + ": " + lines);
            lines.getFirst().codePoints().forEach(c -> {
                int type = Character.getType(c);
                assertFalse(type == Character.CONTROL || type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR
                        || type == Character.FORMAT, escaped + " logged raw as U+" + Integer.toHexString(c) + ": " + lines.getFirst());
            });
            assertTrue(logged.endsWith("\n"));
        }
    }

    static void assertOneLineError(String body, int status, String says) throws IOException {
        assertTrue(body.endsWith("\n") && body.indexOf('\n') == body.length() - 1, "one line: " + body);
        JsonNode doc = JSON.readTree(body);
        assertEquals(status, doc.get("status").asInt(), body);
        assertTrue(doc.get("error").asText().contains(says), body);
        assertEquals(2, doc.size(), body);
    }

    /** Sends {@code request} from {@code from} and reads until the server closes; "" when it closed without a word. */
    private static String exchange(InetAddress from, String request, int timeoutMillis) throws IOException {
        try (Socket s = new Socket()) {
            s.bind(new InetSocketAddress(from, 0));
            s.connect(server.address(), timeoutMillis);
            s.setSoTimeout(timeoutMillis);
            s.getOutputStream().write(request.getBytes(StandardCharsets.UTF_8));
            s.getOutputStream().flush();
            String answer = readAll(s.getInputStream());
            Schemas.assertValidRawAnswers(answer, StandardCharsets.UTF_8);
            return answer;
        } catch (SocketTimeoutException e) {
            return "(no answer in " + timeoutMillis + " ms)";
        }
    }

    /** One answer on a kept connection: its head, then Content-Length bytes of body. */
    private static String readOneAnswer(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        while (!b.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int c = in.read();
            if (c < 0) {
                return b.toString(StandardCharsets.ISO_8859_1);
            }
            b.write(c);
        }
        String head = b.toString(StandardCharsets.ISO_8859_1);
        int length = head.lines().filter(l -> l.regionMatches(true, 0, "Content-Length:", 0, 15))
                .mapToInt(l -> Integer.parseInt(l.substring(15).strip())).findFirst().orElseThrow();
        return head + new String(in.readNBytes(length), StandardCharsets.UTF_8);
    }

    private static String readAll(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try {
            in.transferTo(b);
        } catch (SocketException e) {
            // reset by the server: what arrived before is the answer
        }
        return b.toString(StandardCharsets.UTF_8);
    }

    private static List<String> logLines() {
        return LOG.toString(StandardCharsets.UTF_8).lines().toList();
    }
}
