package dev.attachproof.serve;

import dev.attachproof.snapshot.MaxStop;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;

/**
 * How the sidecar runs: where it listens, the bearer token (null: none), the request rate
 * limit, and how many goroutine snapshots may run at once. Made only through {@link #of}, which
 * enforces the rule that matters: off the loopback interface, a token is required.
 *
 * @param requestsPerSecond the token bucket's refill rate; {@code burst} its size
 * @param maxSnapshots      goroutine snapshots at once (each stops a target and holds its copy in memory)
 * @param maxStop           how long a snapshot may keep its target stopped unless a request says
 *                          otherwise ({@code maxStop=}); null: no limit
 */
public record ServeSettings(InetSocketAddress address, BearerToken token, double requestsPerSecond, int burst,
                            int maxSnapshots, Duration maxStop) {
    public static final int DEFAULT_RATE = 5;
    public static final int DEFAULT_BURST = 10;
    public static final int DEFAULT_SNAPSHOTS = 1;
    public static final String TOKEN_VARIABLE = "ATTACHPROOF_TOKEN";

    /**
     * The settings from the command line's words, or an IllegalArgumentException whose message is
     * the one line to print. The token comes from {@code tokenFile} when given, else from
     * {@code tokenVariable} (the value of ATTACHPROOF_TOKEN, null when unset).
     */
    public static ServeSettings of(String listen, Path tokenFile, String tokenVariable, double requestsPerSecond,
                                   int burst, int maxSnapshots) {
        return of(listen, tokenFile, tokenVariable, requestsPerSecond, burst, maxSnapshots, MaxStop.SERVE_DEFAULT);
    }

    /** {@link #of(String, Path, String, double, int, int)} with the snapshots' stop limit (null: none). */
    public static ServeSettings of(String listen, Path tokenFile, String tokenVariable, double requestsPerSecond,
                                   int burst, int maxSnapshots, Duration maxStop) {
        InetSocketAddress address = ListenAddress.parse(listen);
        BearerToken token = tokenFile != null ? BearerToken.fromFile(tokenFile)
                : tokenVariable != null ? BearerToken.of(tokenVariable, TOKEN_VARIABLE) : null;
        if (token == null && !address.getAddress().isLoopbackAddress()) {
            throw new IllegalArgumentException("refusing to listen on " + SidecarServer.hostPort(address)
                    + " without a token: off the loopback interface every request must carry one; give --token-file PATH "
                    + "or set " + TOKEN_VARIABLE + " (or listen on " + ListenAddress.DEFAULT_HOST + ")");
        }
        if (!(requestsPerSecond > 0) || requestsPerSecond > 10_000) {
            throw new IllegalArgumentException("--rate " + requestsPerSecond + ": give requests per second, above 0 and at most 10000");
        }
        if (burst < 1 || burst > 10_000) {
            throw new IllegalArgumentException("--burst " + burst + ": give 1 to 10000 requests");
        }
        if (maxSnapshots < 1 || maxSnapshots > 64) {
            throw new IllegalArgumentException("--max-snapshots " + maxSnapshots + ": give 1 to 64");
        }
        return new ServeSettings(address, token, requestsPerSecond, burst, maxSnapshots, maxStop);
    }

    public boolean tokenRequired() {
        return token != null;
    }
}
