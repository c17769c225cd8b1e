package dev.attachproof.serve;

import dev.attachproof.service.TargetException;
import dev.attachproof.service.UserText;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The sidecar's HTTP API. Every request goes through one handler, in this order: a request the
 * {@link Http1Server} could not read as one (its status decided there); /healthz is answered at
 * once; any other path needs the bearer token when one is configured (401), then a token from
 * the rate bucket (429); then the method (GET or HEAD, else 405), the path (404), the query
 * (400), the target (404 not visible, 410 exited while read, 422 not Go or not attachable, 503 busy). Whatever goes
 * wrong becomes a one-line JSON error and one log line; the server keeps serving.
 */
public final class SidecarServer {
    /** A route: the parameters it takes and what answers it. */
    private record Route(Set<String> params, Function<Query, Reply> answer) {}

    private static final Map<String, String> ALLOW = Map.of("Allow", "GET, HEAD");
    /**
     * Seconds a stop gives the requests being answered: a snapshot being taken, an answer being
     * sent to a slow reader. Below Kubernetes' default 30 s termination grace, which ends in SIGKILL.
     */
    private static final int STOP_GRACE_SECONDS = 20;
    /** A query parameter that carries a credential (RFC 6750 section 2.3): refused, and never logged. */
    private static final Pattern ACCESS_TOKEN = Pattern.compile("(?i)((?:^|&)access(?:_|%5f)token=)[^&]*");

    private final Http1Server http;
    private final BearerToken token;
    private final TokenBucket bucket;
    private final ServeSettings settings;
    private final Map<String, Route> routes = new LinkedHashMap<>();
    private final PrintStream log;
    private final boolean debug;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Endpoints endpoints;
    private final TraceAdmission admission;

    private SidecarServer(ServeSettings settings, PrintStream log, boolean debug) throws IOException {
        this.settings = settings;
        this.token = settings.token();
        this.bucket = new TokenBucket(settings.requestsPerSecond(), settings.burst(), System::nanoTime);
        this.log = log;
        this.debug = debug;
        this.admission = new TraceAdmission(settings.maxSnapshots());
        this.endpoints = new Endpoints(admission, settings.maxStop());
        routes.put("/v1/doctor", new Route(Set.of("pid", "container"), endpoints::doctor));
        routes.put("/v1/goroutines", new Route(Set.of("pid", "container", "format", "maxStop"), endpoints::goroutines));
        routes.put("/v1/ps", new Route(Set.of(), endpoints::ps));
        routes.put("/healthz", new Route(Set.of(), endpoints::health));
        // A virtual thread per connection: a client that stalls holds only a cheap thread. The
        // heavy work is bounded by admission and the rate limit, and every ptrace call runs on
        // the tracer's own platform thread whatever calls it.
        this.http = new Http1Server(settings.address(), this::handle);
    }

    /**
     * Binds and starts serving. Requests are logged, one line each, on {@code log}; with
     * {@code debug}, an internal error's stack trace follows its line (the client never sees it).
     *
     * @throws IOException when the address cannot be bound (in use, not ours)
     */
    public static SidecarServer start(ServeSettings settings, PrintStream log, boolean debug) throws IOException {
        SidecarServer s = new SidecarServer(settings, log, debug);
        s.http.start();
        return s;
    }

    /**
     * Where it listens: the address asked for (the socket reports a wildcard as IPv6's, even for
     * 0.0.0.0), with the port the kernel chose when 0 was asked for.
     */
    public InetSocketAddress address() {
        return new InetSocketAddress(settings.address().getAddress(), http.port());
    }

    /** Stops listening, lets running requests finish (a few seconds at most), and releases {@link #awaitStop}. */
    public void stop() {
        if (stopped.getCount() == 0) {
            return;
        }
        try {
            http.stop(STOP_GRACE_SECONDS * 1000L);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        stopped.countDown();
    }

    /** The most /v1/ps scans of /proc that ran at once (the tests' view of {@link Endpoints#ps}). */
    int peakConcurrentPsScans() {
        return endpoints.peakConcurrentPsScans();
    }

    /**
     * The admission its trace requests pass (the tests hold a lease on a pid, as a request in
     * progress would, to see what a concurrent request gets).
     */
    TraceAdmission admission() {
        return admission;
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

    private Reply handle(Http1Server.Request r) {
        long t0 = System.nanoTime();
        Reply reply;
        String detail = null;
        String note = null;
        try {
            reply = answer(r);
            note = reply.headers().get(Endpoints.NOTE);
        } catch (HttpError e) {
            reply = Reply.error(e.status(), e.getMessage(), e.headers());
            detail = e.getMessage();
        } catch (TargetException e) {
            int status = switch (e.reason()) {
                case NOT_FOUND -> 404;
                case EXITED -> 410;
                case UNSUITABLE -> 422;
                case AMBIGUOUS -> 400;
            };
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
        String target = r.query() == null ? r.path() : r.path() + "?" + ACCESS_TOKEN.matcher(r.query()).replaceAll("$1REDACTED");
        log.println("attachproof serve: " + r.client().getHostAddress() + " " + printable(r.method()) + " " + printable(target)
                + " " + reply.status() + " " + ms + " ms" + (detail == null ? "" : ": " + printable(detail))
                + (note == null ? "" : " (" + printable(note) + ")"));
        return reply;
    }

    private Reply answer(Http1Server.Request r) {
        if (r.refusal() != null) {
            throw r.refusal();
        }
        String path = r.path();
        if (!path.equals("/healthz")) {
            authorize(r.header("Authorization"));
            long wait = bucket.take();
            if (wait > 0) {
                long seconds = Math.max(1, (wait + 999_999_999) / 1_000_000_000);
                throw new HttpError(429, "too many requests: at most " + fmt(settings.requestsPerSecond()) + " a second, "
                        + settings.burst() + " at once (serve --rate, --burst); retry in " + seconds + " s",
                        Map.of("Retry-After", Long.toString(seconds)));
            }
        }
        // The method first: CONNECT's target and OPTIONS' '*' are no paths, and this server changes nothing anywhere.
        String method = r.method();
        if (!method.equals("GET") && !method.equals("HEAD")) {
            throw new HttpError(405, "method " + Query.quote(method) + " is not allowed: this server is read-only, use GET (or HEAD)", ALLOW);
        }
        Route route = routes.get(path);
        if (route == null) {
            throw new HttpError(404, "no endpoint " + Query.quote(path) + ": the endpoints are GET /v1/doctor?pid=N|container=ID, "
                    + "/v1/goroutines?pid=N|container=ID&format=text|json|pprof, /v1/ps and /healthz");
        }
        return route.answer().apply(Query.parse(r.query(), path, route.params()));
    }

    private void authorize(String given) {
        if (token == null) {
            return;
        }
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

    /**
     * A log line's words from a client, at most 300: what could break or forge a line (C0 and
     * C1 controls, NEL, the Unicode line and paragraph separators, format characters such as
     * bidirectional overrides) shown as '?'.
     */
    private static String printable(String s) {
        StringBuilder b = new StringBuilder(Math.min(s.length(), 303));
        s.codePoints().limit(300).forEach(c -> {
            if (UserText.unprintable(c)) {
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
