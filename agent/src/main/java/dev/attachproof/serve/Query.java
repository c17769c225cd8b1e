package dev.attachproof.serve;

import dev.attachproof.service.ContainerArgument;
import dev.attachproof.service.PidArgument;
import dev.attachproof.service.UserText;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A request's query string, read strictly: well-formed percent escapes, each parameter known to
 * the endpoint and given once. A typo ({@code ?pdi=42}) is an error that says so, never a
 * parameter silently ignored.
 */
final class Query {
    private static final int MAX_LENGTH = 1024;

    private final Map<String, String> values;
    private final boolean allowsContainer;

    private Query(Map<String, String> values, boolean allowsContainer) {
        this.values = values;
        this.allowsContainer = allowsContainer;
    }

    /** Parses {@code raw} (the query as sent, still percent-encoded; null for none) for {@code path}, which takes {@code allowed}. */
    static Query parse(String raw, String path, Set<String> allowed) {
        Map<String, String> values = new LinkedHashMap<>();
        boolean containers = allowed.contains("container");
        if (raw == null || raw.isEmpty()) {
            return new Query(values, containers);
        }
        if (raw.length() > MAX_LENGTH) {
            throw new HttpError(400, "the query string is " + raw.length() + " characters long: " + path + " takes "
                    + takes(allowed) + ", a few characters each");
        }
        for (String part : raw.split("&")) {
            if (part.isEmpty()) {
                continue;
            }
            int eq = part.indexOf('=');
            String name = decode(eq < 0 ? part : part.substring(0, eq));
            String value = eq < 0 ? "" : decode(part.substring(eq + 1));
            if (!allowed.contains(name)) {
                throw new HttpError(400, "unknown parameter " + quote(name) + " for " + path + ": it takes " + takes(allowed));
            }
            if (values.putIfAbsent(name, value) != null) {
                throw new HttpError(400, "parameter " + quote(name) + " is given twice: give it once");
            }
        }
        return new Query(values, containers);
    }

    Optional<String> get(String name) {
        return Optional.ofNullable(values.get(name));
    }

    /** The {@code pid} parameter, read as the command line reads one ({@link PidArgument#parse}). */
    int pid() {
        String text = values.get("pid");
        if (text == null) {
            throw new HttpError(400, "no pid: give ?pid=N, the process id of a Go process (GET /v1/ps lists them)"
                    + (allowsContainer ? ", or ?container=ID, a container's id" : ""));
        }
        return PidArgument.parse(text).orElseThrow(() -> new HttpError(400, "pid=" + quote(text)
                + " is not a pid: give ?pid=N, a positive number in ASCII digits (GET /v1/ps lists Go processes)"));
    }

    /**
     * The {@code container} parameter, read as the command line reads {@code --container}
     * ({@link ContainerArgument#parse}): the id or prefix in lowercase hex; empty when not given.
     * Given with {@code pid}, it is an error: the two name the target two ways.
     */
    Optional<String> container() {
        String text = values.get("container");
        if (text == null) {
            return Optional.empty();
        }
        if (values.containsKey("pid")) {
            throw new HttpError(400, "give pid=N or container=ID, not both");
        }
        return switch (ContainerArgument.parse(text)) {
            case ContainerArgument.Parsed.Id id -> Optional.of(id.prefix());
            case ContainerArgument.Parsed.Invalid bad -> throw new HttpError(400, "container=" + quote(text) + " " + bad.why());
        };
    }

    /** A client's words, quoted for a message or a log line ({@link UserText#quote}). */
    static String quote(String s) {
        return UserText.quote(s);
    }

    private static String takes(Set<String> allowed) {
        return allowed.isEmpty() ? "no parameters" : String.join(" and ", allowed.stream().sorted().toList());
    }

    private static String decode(String s) {
        try {
            return URLDecoder.decode(s, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new HttpError(400, "the query string is malformed: a '%' must be followed by two hex digits "
                    + "(percent-encode the values, e.g. ?pid=42&format=json)");
        }
    }
}
