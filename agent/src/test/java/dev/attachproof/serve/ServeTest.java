package dev.attachproof.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.attachproof.testing.AgentCli;
import dev.attachproof.testing.FixtureProcess;
import dev.attachproof.testing.GoFixture;
import dev.attachproof.testing.Schemas;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The sidecar on a real Go target, over real HTTP (java.net.http on an ephemeral port): each
 * endpoint answers what the command line prints for the same target, every mistake is a one-line
 * JSON error with the documented status and the server serves on, the token rules hold (checked
 * on the real {@code serve} command in a child JVM, which is also stopped by SIGTERM), and the
 * target runs on untraced after all of it.
 */
class ServeTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    /** Every answer's body, checked against its schema (the error document's for an error). */
    private static final HttpResponse.BodyHandler<String> BODIES = Schemas.validatedBodies();
    private static final String TOKEN = "0123456789abcdef0123456789abcdef";

    private static FixtureProcess target;
    private static SidecarServer server;
    private static final ByteArrayOutputStream LOG = new ByteArrayOutputStream();

    @BeforeAll
    static void start() throws IOException {
        target = FixtureProcess.start(GoFixture.build("target"), "-goroutines", "8");
        server = SidecarServer.start(ServeSettings.of("127.0.0.1:0", null, null, 1000, 1000, 1),
                new PrintStream(LOG, true, StandardCharsets.UTF_8), false);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.stop();
        }
        if (target != null) {
            target.close();
        }
    }

    @Test
    void doctorAnswersWhatTheCliPrints() throws Exception {
        HttpResponse<String> r = get(server, "/v1/doctor?pid=" + target.pid());
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("application/json", r.headers().firstValue("Content-Type").orElse(""));
        AgentCli.Result cli = AgentCli.run("doctor", Integer.toString(target.pid()), "--json");
        assertEquals(0, cli.exit(), cli.stderr());
        JsonNode served = JSON.readTree(r.body());
        assertEquals("attachable", served.get("verdict").asText());
        assertTrue(served.get("proof").get("ok").asBoolean());
        assertEquals(withoutTimings(JSON.readTree(cli.stdout())), withoutTimings(served));
        target.assertRunningUntraced();
    }

    @Test
    void goroutinesAnswerWhatTheCliPrintsInEachFormat() throws Exception {
        String pid = Integer.toString(target.pid());

        // A limit neither stop can reach on a loaded machine, so that both read everything while stopped.
        HttpResponse<String> json = get(server, "/v1/goroutines?pid=" + pid + "&format=json&maxStop=10s");
        assertEquals(200, json.statusCode(), json.body());
        assertEquals("application/json", json.headers().firstValue("Content-Type").orElse(""));
        AgentCli.Result cliJson = AgentCli.run("goroutines", pid, "--format", "json", "--max-stop", "10s");
        assertEquals(0, cliJson.exit(), cliJson.stderr());
        assertEquals(withoutTimings(JSON.readTree(cliJson.stdout())), withoutTimings(JSON.readTree(json.body())));
        assertEquals(10_000_000, JSON.readTree(json.body()).get("maxStopMicros").asLong());
        // serve limits its stops to 50 ms unless asked otherwise; the command line does not limit them.
        assertEquals(50_000, JSON.readTree(get(server, "/v1/goroutines?pid=" + pid + "&format=json").body()).get("maxStopMicros").asLong());
        assertTrue(JSON.readTree(get(server, "/v1/goroutines?pid=" + pid + "&format=json&maxStop=off").body()).get("maxStopMicros").isNull());
        assertTrue(JSON.readTree(AgentCli.run("goroutines", pid, "--format", "json").stdout()).get("maxStopMicros").isNull());

        HttpResponse<String> text = get(server, "/v1/goroutines?pid=" + pid);
        assertEquals(200, text.statusCode(), text.body());
        assertEquals("text/plain; charset=utf-8", text.headers().firstValue("Content-Type").orElse(""));
        assertEquals(AgentCli.run("goroutines", pid).stdout(), text.body(), "the default format is text, as on the command line");

        HttpResponse<byte[]> pprof = HTTP.send(request(server, "/v1/goroutines?pid=" + pid + "&format=pprof").build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, pprof.statusCode());
        assertEquals("application/octet-stream", pprof.headers().firstValue("Content-Type").orElse(""));
        Path served = Files.createTempFile("served", ".pb.gz");
        Path printed = Files.createTempFile("printed", ".pb.gz");
        Files.write(served, pprof.body());
        assertEquals(0, AgentCli.run("goroutines", pid, "--format", "pprof", "-o", printed.toString()).exit());
        assertEquals(pprofTraces(printed), pprofTraces(served), "go tool pprof reads the same profile");
        target.assertRunningUntraced();
    }

    @Test
    void psAnswersWhatTheCliPrints() throws Exception {
        HttpResponse<String> r = get(server, "/v1/ps");
        assertEquals(200, r.statusCode(), r.body());
        AgentCli.Result cli = AgentCli.run("ps", "--json");
        JsonNode served = JSON.readTree(r.body());
        JsonNode printed = JSON.readTree(cli.stdout());
        assertEquals(printed.get("schema"), served.get("schema"));
        // Other Go processes may come and go between the two reads: the target's entry is compared.
        assertEquals(entry(printed, target.pid()), entry(served, target.pid()));
        assertTrue(entry(served, target.pid()) != null, r.body());
    }

    @Test
    void headAnswersGetsHeadersWithoutABody() throws Exception {
        HttpResponse<String> r = HTTP.send(request(server, "/healthz").method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
                BODIES);
        assertEquals(200, r.statusCode());
        assertEquals("", r.body());
        assertEquals(get(server, "/healthz").body().length(), Integer.parseInt(r.headers().firstValue("Content-Length").orElse("-1")));
    }

    @Test
    void everyMistakeIsAOneLineJsonErrorAndTheServerServesOn() throws Exception {
        Process notGo = new ProcessBuilder("/bin/sh", "-c", "exec 3<&0; sleep 60 <&3 & echo $!; wait").start();
        try {
            String sleeper = new BufferedReader(new InputStreamReader(notGo.getInputStream())).readLine().strip();
            String pid = Integer.toString(target.pid());
            record Bad(String method, String path, int status, String says) {}
            List<Bad> cases = List.of(
                    new Bad("GET", "/v1/doctor", 400, "no pid"),
                    new Bad("GET", "/v1/doctor?pid=nginx", 400, "'nginx' is not a pid"),
                    new Bad("GET", "/v1/doctor?pid=-5", 400, "is not a pid"),
                    new Bad("GET", "/v1/doctor?pid=99999999999", 400, "is not a pid"),
                    new Bad("GET", "/v1/doctor?pid=" + pid + "&pid=1", 400, "given twice"),
                    new Bad("GET", "/v1/doctor?pid=" + pid + "&verbose=1", 400, "unknown parameter 'verbose'"),
                    new Bad("GET", "/v1/doctor?%00%0a=%ff", 400, "unknown parameter"),
                    new Bad("GET", "/v1/doctor?pid=4194304", 404, "no process with pid 4194304 is visible here"),
                    new Bad("GET", "/v1/goroutines?pid=4194304", 404, "no process with pid 4194304 is visible here"),
                    new Bad("GET", "/v1/doctor?container=ca978", 400, "container='ca978' is 5 hex digits: give at least 12"),
                    new Bad("GET", "/v1/doctor?container=rkt://ca978112ca1b", 400, "names a runtime not known here"),
                    new Bad("GET", "/v1/goroutines?pid=" + pid + "&container=ca978112ca1b", 400, "give pid=N or container=ID, not both"),
                    new Bad("GET", "/v1/goroutines?format=json", 400, "no pid: give ?pid=N"),
                    new Bad("GET", "/v1/doctor?container=containerd://18ac3e7343f016890c510e93f935261169d9e3f565436429830faf0934f4f8e4", 404,
                            "no process in this PID namespace is in container 18ac3e7343f016890c510e93f935261169d9e3f565436429830faf0934f4f8e4"),
                    new Bad("GET", "/v1/goroutines?container=18ac3e7343f0", 404, "no process in this PID namespace is in container 18ac3e7343f0"),
                    new Bad("GET", "/v1/doctor?pid=" + sleeper, 422, "is not a Go program"),
                    new Bad("GET", "/v1/goroutines?pid=" + sleeper, 422, "is not a Go program"),
                    new Bad("GET", "/v1/goroutines?pid=" + pid + "&format=xml", 400, "unknown format 'xml'"),
                    new Bad("GET", "/v1/goroutines?pid=" + pid + "&maxStop=fast", 400, "maxStop='fast': give e.g. 50ms, 0.2s, 500us, or off"),
                    new Bad("GET", "/v1/goroutines?pid=" + pid + "&maxStop=0ms", 400, "maxStop='0ms'"),
                    new Bad("GET", "/v1/ps?all=1", 400, "it takes no parameters"),
                    new Bad("GET", "/", 404, "no endpoint"),
                    new Bad("GET", "/v1/doctor/", 404, "no endpoint"),
                    new Bad("GET", "/v1/../etc/passwd", 404, "no endpoint"),
                    new Bad("POST", "/v1/doctor?pid=" + pid, 405, "read-only"),
                    new Bad("DELETE", "/healthz", 405, "read-only"),
                    new Bad("PUT", "/v1/ps", 405, "read-only"));
            int logged = logLines().size();
            for (Bad c : cases) {
                HttpRequest.BodyPublisher body = c.method().equals("GET") || c.method().equals("DELETE")
                        ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString("{}");
                HttpResponse<String> r = HTTP.send(request(server, c.path()).method(c.method(), body).build(),
                        BODIES);
                String what = c.method() + " " + c.path() + " -> " + r.statusCode() + " " + r.body();
                assertEquals(c.status(), r.statusCode(), what);
                assertError(r, c.status(), c.says());
                if (c.status() == 405) {
                    assertEquals("GET, HEAD", r.headers().firstValue("Allow").orElse(""), what);
                }
                assertEquals(200, get(server, "/healthz").statusCode(), "still serving after " + what);
            }
            // A request target that is not a URI at all (the HttpClient will not send it) is the
            // same one-line JSON error, and logged.
            String raw = rawExchange("GET /v1/doctor?pid=%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            assertTrue(raw.startsWith("HTTP/1.1 400 "), raw);
            assertTrue(raw.endsWith("\"status\": 400}\n") && raw.contains("malformed"), raw);
            assertEquals(200, get(server, "/healthz").statusCode());
            List<String> lines = logLines().subList(logged, logLines().size());
            assertEquals(2 * cases.size() + 2, lines.size(), "one log line per request:\n" + String.join("\n", lines));
            assertTrue(lines.getFirst().matches("attachproof serve: 127\\.0\\.0\\.1 GET /v1/doctor 400 \\d+ ms: no pid: .*"), lines.getFirst());
            assertTrue(lines.stream().anyMatch(l -> l.contains(" POST /v1/doctor?pid=" + pid + " 405 ")), String.join("\n", lines));
            target.assertRunningUntraced();
        } finally {
            notGo.getOutputStream().close();
            notGo.destroy();
            notGo.waitFor(5, TimeUnit.SECONDS);
        }
    }

    /**
     * One request per pid at a time ({@link TraceAdmission}): while a request holds a pid (here a
     * lease taken as a doctor request in progress takes it), a snapshot of that pid and a doctor
     * run on it are refused at once with 503 and Retry-After, a snapshot of another pid is taken,
     * and once the lease is let go the same pid is served again. Then four real snapshots sent
     * together: each is a whole snapshot or that same 503, and the target runs on untraced.
     */
    @Test
    void concurrentSnapshotsOfOnePidRunOneAtATimeAndLeaveItRunning() throws Exception {
        try (FixtureProcess big = FixtureProcess.start(GoFixture.build("target"), "-goroutines", "20000")) {
            String busyPid = "busy: another request is attached to pid " + big.pid();
            try (TraceAdmission.Lease held = server.admission().admit(big.pid(), false)) {
                for (String path : List.of("/v1/goroutines?pid=" + big.pid() + "&format=json", "/v1/doctor?pid=" + big.pid())) {
                    HttpResponse<String> r = get(server, path);
                    assertError(r, 503, busyPid);
                    assertEquals("1", r.headers().firstValue("Retry-After").orElse(""), path);
                }
                HttpResponse<String> other = get(server, "/v1/goroutines?pid=" + target.pid() + "&format=json");
                assertEquals(200, other.statusCode(), "another pid is not held: " + other.body());
            }
            HttpResponse<String> after = get(server, "/v1/goroutines?pid=" + big.pid() + "&format=json");
            assertEquals(200, after.statusCode(), "served again once the lease is let go: " + after.body());
            assertTrue(JSON.readTree(after.body()).get("goroutines").size() > 20000);

            List<CompletableFuture<HttpResponse<String>>> sent = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                sent.add(HTTP.sendAsync(request(server, "/v1/goroutines?pid=" + big.pid() + "&format=json").build(),
                        BODIES));
            }
            for (var f : sent) {
                HttpResponse<String> r = f.get(60, TimeUnit.SECONDS);
                if (r.statusCode() == 200) {
                    assertTrue(JSON.readTree(r.body()).get("goroutines").size() > 20000);
                } else {
                    // The snapshot limit (1 here) or the pid's own lease, whichever it met first.
                    assertError(r, 503, "busy: ");
                    assertEquals("1", r.headers().firstValue("Retry-After").orElse(""));
                }
            }
            big.assertRunningUntraced();
        }
    }

    @Test
    void clientsThatStallMidRequestDoNotHoldTheServer() throws Exception {
        List<java.net.Socket> stalled = new ArrayList<>();
        try {
            for (int i = 0; i < 20; i++) {
                java.net.Socket s = new java.net.Socket(server.address().getAddress(), server.address().getPort());
                s.getOutputStream().write("GET /v1/ps HTTP/1.1\r\nHo".getBytes(StandardCharsets.ISO_8859_1));
                s.getOutputStream().flush();
                stalled.add(s);
            }
            // Answered while 20 clients hold their connections open mid-request. How soon is a
            // benchmark's question, not this test's: here, that they are answered at all, and that
            // each stalled client then gets its own 408 on its own deadline, not a dropped socket.
            assertEquals(200, get(server, "/healthz").statusCode());
            assertEquals(200, get(server, "/v1/doctor?pid=" + target.pid()).statusCode());
            for (java.net.Socket s : stalled) {
                s.setSoTimeout(60_000);
                String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
                assertTrue(answer.startsWith("HTTP/1.1 408 "), answer);
                assertTrue(answer.endsWith("\"status\": 408}\n"), answer);
            }
        } finally {
            for (java.net.Socket s : stalled) {
                s.close();
            }
        }
        target.assertRunningUntraced();
    }

    @Test
    void requestsAboveTheRateAre429AndHealthzIsNotLimited() throws Exception {
        SidecarServer limited = SidecarServer.start(ServeSettings.of("127.0.0.1:0", null, null, 0.2, 3, 1),
                new PrintStream(java.io.OutputStream.nullOutputStream()), false);
        try {
            for (int i = 0; i < 3; i++) {
                assertEquals(404, get(limited, "/v1/nothing").statusCode(), "the burst: 3 requests at once");
            }
            HttpResponse<String> r = get(limited, "/v1/ps");
            assertError(r, 429, "too many requests");
            assertTrue(Integer.parseInt(r.headers().firstValue("Retry-After").orElse("0")) >= 1);
            for (int i = 0; i < 10; i++) {
                assertEquals(200, get(limited, "/healthz").statusCode());
            }
        } finally {
            limited.stop();
        }
    }

    @Test
    void aTokenFromAFileIsRequiredOnEveryRequestButHealthz() throws Exception {
        Path file = Files.createTempFile("token", "");
        Files.writeString(file, TOKEN + "\n");
        SidecarServer guarded = SidecarServer.start(ServeSettings.of("127.0.0.1:0", file, null, 1000, 1000, 1),
                new PrintStream(java.io.OutputStream.nullOutputStream()), false);
        try {
            assertError(get(guarded, "/v1/ps"), 401, "a bearer token is required");
            assertEquals("Bearer realm=\"attachproof\"", get(guarded, "/v1/ps").headers().firstValue("WWW-Authenticate").orElse(""));
            assertError(send(guarded, "/v1/ps", "Bearer " + TOKEN.replace('0', '1')), 401, "does not match");
            assertError(send(guarded, "/v1/ps", "Bearer " + TOKEN.substring(1)), 401, "does not match");
            assertError(send(guarded, "/v1/ps", "Basic " + TOKEN), 401, "does not match");
            assertError(get(guarded, "/nothing"), 401, "a bearer token is required");
            assertEquals(200, send(guarded, "/v1/ps", "Bearer " + TOKEN).statusCode());
            assertEquals(200, send(guarded, "/v1/doctor?pid=" + target.pid(), "bearer " + TOKEN).statusCode());
            assertEquals(200, get(guarded, "/healthz").statusCode());
            target.assertRunningUntraced();
        } finally {
            guarded.stop();
        }
    }

    /** Digits of other scripts, whitespace, signs: a pid is ASCII digits only, over HTTP as on the command line. */
    @Test
    void aPidIsAsciiDigitsOnly() throws Exception {
        String pid = Integer.toString(target.pid());
        List<String> lenient = List.of(digits(pid, 0x0660), digits(pid, 0xFF10), "\t" + pid, "\r\n" + pid, " " + pid, pid + " ",
                "+" + pid, pid + "\n");
        for (String text : lenient) {
            HttpResponse<String> r = get(server, "/v1/doctor?pid=" + java.net.URLEncoder.encode(text, StandardCharsets.UTF_8));
            assertError(r, 400, "is not a pid");
        }
        for (String text : List.of(digits(pid, 0x0660), digits(pid, 0xFF10), "\t" + pid, " " + pid)) {
            AgentCli.Result cli = AgentCli.run("doctor", text, "--no-proof");
            assertEquals(2, cli.exit(), text + ": " + cli.stderr());
            assertEquals(1, cli.stderr().strip().lines().count(), cli.stderr());
            assertTrue(cli.stderr().contains("is not a pid"), cli.stderr());
        }
    }

    /** A thread id names its process: diagnosed as that process, with a note saying so, over HTTP and on the command line. */
    @Test
    void aThreadIdIsDiagnosedAsItsProcess() throws Exception {
        int pid = target.pid();
        int tid;
        try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            tid = tasks.map(p -> Integer.parseInt(p.getFileName().toString())).filter(t -> t != pid).findFirst().orElseThrow();
        }
        String note = "pid " + tid + " is thread " + tid + " of process " + pid + "; diagnosing " + pid;

        HttpResponse<String> r = get(server, "/v1/doctor?pid=" + tid);
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(pid, JSON.readTree(r.body()).get("pid").asInt(), r.body());
        assertEquals(note, r.headers().firstValue("Attachproof-Note").orElse(""));
        HttpResponse<String> g = get(server, "/v1/goroutines?pid=" + tid + "&format=json");
        assertEquals(200, g.statusCode(), g.body());
        assertEquals(pid, JSON.readTree(g.body()).get("pid").asInt());
        assertEquals(note, g.headers().firstValue("Attachproof-Note").orElse(""));

        AgentCli.Result cli = AgentCli.run("doctor", Integer.toString(tid), "--json");
        assertEquals(0, cli.exit(), cli.stderr());
        assertEquals(pid, JSON.readTree(cli.stdout()).get("pid").asInt(), cli.stdout());
        assertTrue(cli.stderr().contains(note), cli.stderr());
        target.assertRunningUntraced();
    }

    /** 100 /v1/ps at once share one scan of /proc instead of running 100: the work a burst costs is one request's. */
    @Test
    void concurrentPsRequestsShareOneScan() throws Exception {
        List<CompletableFuture<HttpResponse<String>>> sent = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            sent.add(HTTP.sendAsync(request(server, "/v1/ps").build(), BODIES));
        }
        for (var f : sent) {
            HttpResponse<String> r = f.get(60, TimeUnit.SECONDS);
            assertEquals(200, r.statusCode(), r.body());
            assertTrue(entry(JSON.readTree(r.body()), target.pid()) != null, r.body());
        }
        assertEquals(1, server.peakConcurrentPsScans(), "scans of /proc running at once");
    }

    /** The token file is read only when it is a regular file of a sane size: a FIFO, /dev/zero, a directory are one line and exit 2. */
    @Test
    void tokenFilesThatCannotHoldATokenAreRefusedAtOnce() throws Exception {
        Path dir = Files.createTempDirectory("tokens");
        Path fifo = dir.resolve("fifo");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        Path big = dir.resolve("big");
        Files.write(big, new byte[1 << 20]);
        for (String file : List.of(fifo.toString(), "/dev/zero", dir.toString(), big.toString())) {
            AgentCli.Result r = serve(Map.of(), "--listen", "127.0.0.1:0", "--token-file", file);
            assertEquals(2, r.exit(), file + ": " + r.stderr());
            assertEquals(1, r.stderr().strip().lines().count(), r.stderr());
            assertTrue(r.stderr().startsWith("attachproof: the token file " + file + " "), r.stderr());
        }
    }

    /**
     * SIGTERM while a 48 MB answer is on its way: it is finished (the client gets all of it) or
     * the connection is cut, never a short body passed off as whole. The client stops reading for
     * a few seconds after the signal, as a slow one would: the old server cut it at its 5 s grace.
     */
    @Test
    void aSigtermDuringALargeAnswerFinishesIt() throws Exception {
        try (FixtureProcess big = FixtureProcess.start(GoFixture.build("target"), "-goroutines", "90000")) {
            ChildServe serve = ChildServe.start(Map.of(), "listening on http://127\\.0\\.0\\.1:(\\d+) ", "--listen", "127.0.0.1:0");
            Process p = serve.process();
            try {
                try (java.net.Socket s = new java.net.Socket("127.0.0.1", serve.port())) {
                    s.setSoTimeout(60_000);
                    s.getOutputStream().write(("GET /v1/goroutines?pid=" + big.pid() + "&format=json HTTP/1.1\r\nHost: x\r\n"
                            + "Connection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                    java.io.InputStream in = new java.io.BufferedInputStream(s.getInputStream());
                    String head = readHead(in);
                    assertTrue(head.startsWith("HTTP/1.1 200 "), head);
                    Matcher length = Pattern.compile("(?i)\r\ncontent-length: (\\d+)").matcher(head);
                    assertTrue(length.find(), head);
                    long expected = Long.parseLong(length.group(1));
                    assertTrue(expected > 40_000_000, "a large answer: " + expected + " bytes");
                    p.toHandle().destroy();   // SIGTERM
                    Thread.sleep(7_000);      // a slow client, not a wait for readiness: it reads nothing for 7 s
                    long got = in.transferTo(java.io.OutputStream.nullOutputStream());
                    assertEquals(expected, got, "the body after SIGTERM");
                }
                assertTrue(p.waitFor(30, TimeUnit.SECONDS), "serve stops on SIGTERM");
                assertTrue(serve.restOfStderr().contains("attachproof serve: stopped"), serve.restOfStderr());
                big.assertRunningUntraced();
            } finally {
                p.destroyForcibly();
            }
        }
    }

    private static String readHead(java.io.InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        while (!b.toString().endsWith("\r\n\r\n")) {
            int c = in.read();
            if (c < 0) {
                break;
            }
            b.append((char) c);
        }
        return b.toString();
    }

    private static String digits(String ascii, int zero) {
        StringBuilder b = new StringBuilder();
        ascii.chars().forEach(c -> b.appendCodePoint(zero + c - '0'));
        return b.toString();
    }

    /** The real command: off loopback it refuses to start without a token, starts with one, and stops on SIGTERM. */
    @Test
    void serveOffLoopbackNeedsATokenAndStopsOnSigterm() throws Exception {
        AgentCli.Result refused = serve(Map.of(), "--listen", "0.0.0.0:0");
        assertEquals(2, refused.exit(), refused.stderr());
        assertEquals(1, refused.stderr().strip().lines().count(), refused.stderr());
        assertTrue(refused.stderr().startsWith("attachproof: refusing to listen on 0.0.0.0:0 without a token")
                && refused.stderr().contains("--token-file") && refused.stderr().contains("ATTACHPROOF_TOKEN"), refused.stderr());

        AgentCli.Result shortToken = serve(Map.of("ATTACHPROOF_TOKEN", "secret"), "--listen", "0.0.0.0:0");
        assertEquals(2, shortToken.exit(), shortToken.stderr());
        assertTrue(shortToken.stderr().contains("at least 16"), shortToken.stderr());

        AgentCli.Result noFile = serve(Map.of(), "--listen", "0.0.0.0:0", "--token-file", "/nonexistent/token");
        assertEquals(2, noFile.exit(), noFile.stderr());
        assertTrue(noFile.stderr().contains("cannot read the token file /nonexistent/token: no such file"), noFile.stderr());

        ChildServe serve = ChildServe.start(Map.of("ATTACHPROOF_TOKEN", TOKEN),
                "listening on http://0\\.0\\.0\\.0:(\\d+) \\(token required", "--listen", "0.0.0.0:0");
        Process p = serve.process();
        try {
            URI base = URI.create("http://127.0.0.1:" + serve.port());
            assertEquals(401, HTTP.send(HttpRequest.newBuilder(base.resolve("/v1/ps")).build(), BODIES).statusCode());
            assertEquals(200, HTTP.send(HttpRequest.newBuilder(base.resolve("/v1/doctor?pid=" + target.pid()))
                    .header("Authorization", "Bearer " + TOKEN).build(), BODIES).statusCode());
            assertEquals(200, HTTP.send(HttpRequest.newBuilder(base.resolve("/healthz")).build(), BODIES).statusCode());
            p.toHandle().destroy();   // SIGTERM (Process.destroy would also close our end of its stderr)
            assertTrue(p.waitFor(20, TimeUnit.SECONDS), "serve stops on SIGTERM");
            String rest = serve.restOfStderr();
            assertTrue(rest.contains("attachproof serve: stopped"), rest);
            assertFalse(rest.contains("\tat "), rest);
            target.assertRunningUntraced();
        } finally {
            p.destroyForcibly();
        }
    }

    /** The real {@code serve} command in a child JVM, past its startup line, with the port that line names. */
    private record ChildServe(Process process, java.util.concurrent.BlockingQueue<String> stderr, Thread reader, int port) {
        static ChildServe start(Map<String, String> env, String startupLine, String... args) throws Exception {
            ProcessBuilder pb = new ProcessBuilder(serveCommand(args));
            pb.environment().remove("ATTACHPROOF_TOKEN");
            pb.environment().putAll(env);
            Process p = pb.start();
            java.util.concurrent.BlockingQueue<String> err = new java.util.concurrent.LinkedBlockingQueue<>();
            Thread reader = Thread.ofPlatform().daemon(true).start(() -> new BufferedReader(new InputStreamReader(p.getErrorStream(),
                    StandardCharsets.UTF_8)).lines().forEach(err::add));
            String first = err.poll(30, TimeUnit.SECONDS);
            Matcher m = Pattern.compile(startupLine).matcher(String.valueOf(first));
            if (!m.find()) {
                p.destroyForcibly();
                throw new AssertionError("startup line: " + first);
            }
            return new ChildServe(p, err, reader, Integer.parseInt(m.group(1)));
        }

        /** Its standard error after the startup line, to the end (call once it has exited). */
        String restOfStderr() throws InterruptedException {
            reader.join(10_000);
            return String.join("\n", stderr);
        }
    }

    private static AgentCli.Result serve(Map<String, String> env, String... args) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(serveCommand(args));
        pb.environment().remove("ATTACHPROOF_TOKEN");
        pb.environment().putAll(env);
        Process p = pb.start();
        p.getOutputStream().close();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("serve " + String.join(" ", args) + " started where it should have refused");
        }
        return new AgentCli.Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
                new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    private static List<String> serveCommand(String... args) {
        List<String> cmd = new ArrayList<>(AgentCli.javaCommand("dev.attachproof.cli.Main"));
        cmd.add("serve");
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** The error document: {"error": one line, "status": N}, JSON, no trace of Java. */
    private static void assertError(HttpResponse<String> r, int status, String says) throws IOException {
        String what = r.request().method() + " " + r.request().uri() + " -> " + r.statusCode() + " " + r.body();
        assertEquals(status, r.statusCode(), what);
        assertEquals("application/json", r.headers().firstValue("Content-Type").orElse(""), what);
        JsonNode doc = JSON.readTree(r.body());
        assertEquals(status, doc.get("status").asInt(), what);
        String error = doc.get("error").asText();
        assertTrue(error.contains(says), what);
        assertFalse(error.contains("\n"), what);
        assertFalse(r.body().contains("Exception") || r.body().contains("\tat ") || r.body().contains("java."), what);
        assertEquals(2, doc.size(), what);
    }

    /** The timings differ from run to run; everything else must not. */
    private static JsonNode withoutTimings(JsonNode doc) {
        ObjectNode copy = doc.deepCopy();
        // binaryCache says whether this run found the binary's findings cached: the first of the two
        // reads may write what the second finds (or another process may have evicted it between).
        copy.remove(List.of("stoppedMicros", "phaseMicros", "stopPhaseMicros", "binaryCache"));
        if (copy.get("proof") instanceof ObjectNode proof) {
            proof.remove("stoppedMicros");
        }
        return copy;
    }

    private static JsonNode entry(JsonNode ps, int pid) {
        for (JsonNode p : ps.get("processes")) {
            if (p.get("pid").asInt() == pid) {
                return p;
            }
        }
        return null;
    }

    /** {@code go tool pprof -traces}, without the lines that name the file and the time. */
    private static List<String> pprofTraces(Path profile) throws Exception {
        Process p = new ProcessBuilder("go", "tool", "pprof", "-traces", profile.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        return out.lines().filter(l -> !l.startsWith("File:") && !l.startsWith("Time:")).toList();
    }

    private static HttpResponse<String> get(SidecarServer s, String path) throws Exception {
        return HTTP.send(request(s, path).build(), BODIES);
    }

    private static HttpResponse<String> send(SidecarServer s, String path, String authorization) throws Exception {
        return HTTP.send(request(s, path).header("Authorization", authorization).build(), BODIES);
    }

    private static HttpRequest.Builder request(SidecarServer s, String path) {
        return HttpRequest.newBuilder(URI.create("http://" + SidecarServer.hostPort(s.address()) + path));
    }

    /** Sends {@code request} as written, bytes the HTTP client would refuse to send, and reads the whole answer. */
    private static String rawExchange(String request) throws IOException {
        try (java.net.Socket s = new java.net.Socket(server.address().getAddress(), server.address().getPort())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
            String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            Schemas.assertValidRawAnswers(answer, StandardCharsets.ISO_8859_1);
            return answer;
        }
    }

    private static List<String> logLines() {
        return LOG.toString(StandardCharsets.UTF_8).lines().toList();
    }
}
