package dev.attachproof.serve;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.attachproof.service.TargetException;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The sidecar's HTTP server. Every request goes through one handler, in this order: /healthz is
 * answered at once; any other path needs the bearer token when one is configured (401), then a
 * token from the rate bucket (429); then the method (GET or HEAD, else 405), the path (404), the
 * query (400), the target (404 not visible, 422 not Go or not attachable, 503 busy). Whatever
 * goes wrong becomes a one-line JSON error and one log line; the server keeps serving.
 */
public final class SidecarServer {
    /** A route: the parameters it takes and what answers it. */
    private record Route(Set<String> params, Function<Query, Reply> answer) {}

    private static final Map<String, String> ALLOW = Map.of("Allow", "GET, HEAD");
    private static final int STOP_GRACE_SECONDS = 5;

    static {
        // The JDK's server waits for a request's line and headers forever by default: clients that
        // send a byte and stall would pile up. Bounded here (ServerConfig reads these once, when
        // the first server is made), unless set on the command line: 10 s to send a request, 300 s
        // from the request read to the answer sent (a snapshot of a million goroutines takes a
        // few), 256 connections open at once.
        defaultProperty("sun.net.httpserver.maxReqTime", "10");
        defaultProperty("sun.net.httpserver.maxRspTime", "300");
        defaultProperty("jdk.httpserver.maxConnections", "256");
    }

    private final HttpServer http;
    private final ExecutorService workers;
    private final BearerToken token;
    private final TokenBucket bucket;
    private final ServeSettings settings;
    private final Map<String, Route> routes = new LinkedHashMap<>();
    private final PrintStream log;
    private final boolean debug;
    private final CountDownLatch stopped = new CountDownLatch(1);

    private SidecarServer(HttpServer http, ServeSettings settings, PrintStream log, boolean debug) {
        this.http = http;
        this.settings = settings;
        this.token = settings.token();
        this.bucket = new TokenBucket(settings.requestsPerSecond(), settings.burst(), System::nanoTime);
        this.log = log;
        this.debug = debug;
        Endpoints endpoints = new Endpoints(new TraceAdmission(settings.maxSnapshots()));
        routes.put("/v1/doctor", new Route(Set.of("pid"), endpoints::doctor));
        routes.put("/v1/goroutines", new Route(Set.of("pid", "format"), endpoints::goroutines));
        routes.put("/v1/ps", new Route(Set.of(), endpoints::ps));
        routes.put("/healthz", new Route(Set.of(), endpoints::health));
        // A virtual thread per exchange: a client that stalls holds only a cheap thread (the JDK's
        // server reads the request on it). The heavy work is bounded by admission and the rate
        // limit, and every ptrace call runs on the tracer's own platform thread whatever calls it.
        this.workers = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("attachproof-serve-", 1).factory());
        http.setExecutor(workers);
        http.createContext("/", this::handle);
    }

    /**
     * Binds and starts serving. Requests are logged, one line each, on {@code log}; with
     * {@code debug}, an internal error's stack trace follows its line (the client never sees it).
     *
     * @throws IOException when the address cannot be bound (in use, not ours)
     */
    public static SidecarServer start(ServeSettings settings, PrintStream log, boolean debug) throws IOException {
        SidecarServer s = new SidecarServer(HttpServer.create(settings.address(), 64), settings, log, debug);
        s.http.start();
        return s;
    }

    /**
     * Where it listens: the address asked for (the socket reports a wildcard as IPv6's, even for
     * 0.0.0.0), with the port the kernel chose when 0 was asked for.
     */
    public InetSocketAddress address() {
        return new InetSocketAddress(settings.address().getAddress(), http.getAddress().getPort());
    }

    /** Stops listening, lets running requests finish (a few seconds at most), and releases {@link #awaitStop}. */
    public void stop() {
        if (stopped.getCount() == 0) {
            return;
        }
        http.stop(STOP_GRACE_SECONDS);
        workers.shutdown();
        try {
            workers.awaitTermination(STOP_GRACE_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        stopped.countDown();
    }

    /** Waits until {@link #stop} has run. */
    public void awaitStop() throws InterruptedException {
        stopped.await();
    }

    /** The startup line: where, and whether a token is required. */
    public String describe() {
        return "listening on http://" + hostPort(address()) + " (token " + (settings.tokenRequired() ? "required" : "not required")
                + "; at most " + fmt(settings.requestsPerSecond()) + " requests/s, burst " + settings.burst() + "; "
                + settings.maxSnapshots() + " snapshot" + (settings.maxSnapshots() == 1 ? "" : "s") + " at a time)";
    }

    /** {@code host:port}, with an IPv6 address in brackets. */
    static String hostPort(InetSocketAddress a) {
        String host = a.getAddress().getHostAddress();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    private void handle(HttpExchange ex) {
        long t0 = System.nanoTime();
        Reply reply;
        String detail = null;
        try {
            reply = answer(ex);
        } catch (HttpError e) {
            reply = Reply.error(e.status(), e.getMessage(), e.headers());
            detail = e.getMessage();
        } catch (TargetException e) {
            int status = e.reason() == TargetException.Reason.NOT_FOUND ? 404 : 422;
            reply = Reply.error(status, e.getMessage(), Map.of());
            detail = e.getMessage();
        } catch (Throwable e) {
            // One line for the client; the stack trace stays here, and only with --debug.
            detail = "internal error: " + String.valueOf(e).replace('\n', ' ');
            reply = Reply.error(500, detail + " (the server keeps serving; run serve with --debug for the stack trace)", Map.of());
            if (debug) {
                e.printStackTrace(log);
            }
        }
        // Logged before it is sent: the line is there by the time the client has its answer.
        long ms = (System.nanoTime() - t0) / 1_000_000;
        String query = ex.getRequestURI().getRawQuery();
        log.println("attachproof serve: " + ex.getRemoteAddress().getAddress().getHostAddress() + " " + printable(ex.getRequestMethod())
                + " " + printable(ex.getRequestURI().getRawPath() + (query == null ? "" : "?" + query)) + " " + reply.status()
                + " " + ms + " ms" + (detail == null ? "" : ": " + printable(detail)));
        send(ex, reply);
    }

    private Reply answer(HttpExchange ex) {
        String path = ex.getRequestURI().getRawPath();
        if (!path.equals("/healthz")) {
            authorize(ex.getRequestHeaders());
            long wait = bucket.take();
            if (wait > 0) {
                long seconds = Math.max(1, (wait + 999_999_999) / 1_000_000_000);
                throw new HttpError(429, "too many requests: at most " + fmt(settings.requestsPerSecond()) + " a second, "
                        + settings.burst() + " at once (serve --rate, --burst); retry in " + seconds + " s",
                        Map.of("Retry-After", Long.toString(seconds)));
            }
        }
        Route route = routes.get(path);
        if (route == null) {
            throw new HttpError(404, "no endpoint " + Query.quote(path) + ": the endpoints are GET /v1/doctor?pid=N, "
                    + "/v1/goroutines?pid=N&format=text|json|pprof, /v1/ps and /healthz");
        }
        String method = ex.getRequestMethod();
        if (!method.equals("GET") && !method.equals("HEAD")) {
            throw new HttpError(405, "method " + Query.quote(method) + " is not allowed: this server is read-only, use GET (or HEAD)", ALLOW);
        }
        return route.answer().apply(Query.parse(ex.getRequestURI().getRawQuery(), path, route.params()));
    }

    private void authorize(Headers headers) {
        if (token == null) {
            return;
        }
        String given = headers.getFirst("Authorization");
        if (given == null) {
            throw new HttpError(401, "a bearer token is required: send 'Authorization: Bearer TOKEN' with the token serve was "
                    + "given (--token-file or ATTACHPROOF_TOKEN)", Map.of("WWW-Authenticate", "Bearer realm=\"attachproof\""));
        }
        if (!token.acceptsHeader(given)) {
            throw new HttpError(401, "the bearer token does not match: send 'Authorization: Bearer TOKEN' with the token serve "
                    + "was given (--token-file or ATTACHPROOF_TOKEN)",
                    Map.of("WWW-Authenticate", "Bearer realm=\"attachproof\", error=\"invalid_token\""));
        }
    }

    /** Sends {@code r} (headers only for HEAD). A client gone away is not our error. */
    private static void send(HttpExchange ex, Reply r) {
        try (ex) {
            Headers h = ex.getResponseHeaders();
            h.set("Content-Type", r.mediaType());
            h.set("Cache-Control", "no-store");
            h.set("X-Content-Type-Options", "nosniff");
            r.headers().forEach(h::set);
            if (ex.getRequestMethod().equals("HEAD")) {
                h.set("Content-Length", Integer.toString(r.body().length));
                ex.sendResponseHeaders(r.status(), -1);
            } else {
                ex.sendResponseHeaders(r.status(), r.body().length == 0 ? -1 : r.body().length);
                try (OutputStream out = ex.getResponseBody()) {
                    out.write(r.body());
                }
            }
        } catch (IOException e) {
            // the client closed the connection: nothing to answer, nothing broken here
        }
    }

    private static void defaultProperty(String name, String value) {
        if (System.getProperty(name) == null) {
            System.setProperty(name, value);
        }
    }

    /** A log line's words from a client: control characters (a forged line break) shown as '?', at most 300. */
    private static String printable(String s) {
        StringBuilder b = new StringBuilder(Math.min(s.length(), 303));
        s.codePoints().limit(300).forEach(c -> {
            if (c < 0x20 || c == 0x7f) {
                b.append('?');
            } else {
                b.appendCodePoint(c);
            }
        });
        return s.codePointCount(0, s.length()) > 300 ? b.append("...").toString() : b.toString();
    }

    private static String fmt(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }
}
