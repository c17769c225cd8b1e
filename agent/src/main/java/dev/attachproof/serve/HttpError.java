package dev.attachproof.serve;

import java.util.Map;

/**
 * A request answered with an error: the HTTP status, one line naming the problem and the
 * remedy, and any header that goes with it (Retry-After, Allow, WWW-Authenticate).
 */
final class HttpError extends RuntimeException {
    private final int status;
    private final Map<String, String> headers;

    HttpError(int status, String message) {
        this(status, message, Map.of());
    }

    HttpError(int status, String message, Map<String, String> headers) {
        super(message, null, false, false);
        this.status = status;
        this.headers = Map.copyOf(headers);
    }

    int status() {
        return status;
    }

    Map<String, String> headers() {
        return headers;
    }
}
