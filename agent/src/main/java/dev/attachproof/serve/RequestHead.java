package dev.attachproof.serve;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A request's line and header fields as sent (RFC 9112), read strictly where leniency would let
 * two readers disagree (a bare CR, a space before a colon, a folded line, Content-Length with
 * Transfer-Encoding, two Content-Lengths) and leniently where RFC 9112 allows it: a bare LF ends
 * a line (section 2.2) and empty lines before the request line are skipped. The target is kept
 * raw (still percent-encoded); {@link #path} and {@link #query} split it.
 *
 * @param method      as sent (a token)
 * @param target      the request target as sent: origin-form, absolute-form, authority-form or {@code *}
 * @param http10      HTTP/1.0, which closes the connection after the answer
 * @param fields      field names in lower case, each with its values in order
 */
record RequestHead(String method, String target, boolean http10, Map<String, List<String>> fields) {
    /** The whole head: far more than a GET to this server ever needs (the query alone is at most 1 KiB). */
    static final int MAX_BYTES = 16 * 1024;
    private static final int MAX_FIELDS = 100;
    private static final Pattern REQUEST_LINE = Pattern.compile("([!#$%&'*+.^_`|~0-9A-Za-z-]+) ([\\x21-\\x7e]+) HTTP/(\\d)\\.(\\d)");
    private static final Pattern FIELD = Pattern.compile("([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \\t]*(.*?)[ \\t]*");
    private static final Pattern FIELD_VALUE = Pattern.compile("[\\x20-\\x7e\\t\\x80-\\xff]*");

    /**
     * Parses {@code head}: the bytes up to and including the empty line that ends it. A head
     * this server will not read is an {@link HttpError} with the status that says why; when it
     * got as far as the request line, {@code line} holds it for the log.
     */
    static RequestHead parse(byte[] head, String[] line) {
        List<String> lines = lines(new String(head, StandardCharsets.ISO_8859_1));
        int first = 0;
        while (first < lines.size() && lines.get(first).isEmpty()) {
            first++;   // RFC 9112 section 2.2: empty lines before the request line are ignored
        }
        if (first == lines.size()) {
            throw new HttpError(400, "an empty request: send a request line such as 'GET /healthz HTTP/1.1'");
        }
        String requestLine = lines.get(first);
        line[0] = requestLine;
        Matcher m = REQUEST_LINE.matcher(requestLine);
        if (!m.matches()) {
            throw new HttpError(400, "a malformed request line: send 'METHOD TARGET HTTP/1.1', separated by single spaces");
        }
        if (!m.group(3).equals("1")) {
            throw new HttpError(505, "HTTP/" + m.group(3) + "." + m.group(4) + " is not served here: use HTTP/1.1");
        }
        Map<String, List<String>> fields = new LinkedHashMap<>();
        for (String l : lines.subList(first + 1, lines.size())) {
            if (l.isEmpty()) {
                break;
            }
            if (l.charAt(0) == ' ' || l.charAt(0) == '\t') {
                throw new HttpError(400, "a folded header line (obs-fold, RFC 9112 section 5.2): send each field on one line");
            }
            Matcher f = FIELD.matcher(l);
            if (!f.matches() || !FIELD_VALUE.matcher(f.group(2)).matches()) {
                throw new HttpError(400, "a malformed header line: send 'Name: value', no space before the colon, no control characters");
            }
            fields.computeIfAbsent(f.group(1).toLowerCase(Locale.ROOT), k -> new ArrayList<>()).add(f.group(2));
            if (fields.size() > MAX_FIELDS) {
                throw new HttpError(431, "more than " + MAX_FIELDS + " header fields: this server needs a handful");
            }
        }
        return new RequestHead(m.group(1), m.group(2), m.group(4).equals("0"), fields);
    }

    /** Lines ended by LF, a CR before it dropped; a CR anywhere else is refused (RFC 9112 section 2.2: a bare CR). */
    private static List<String> lines(String head) {
        List<String> lines = new ArrayList<>();
        int start = 0;
        for (int lf = head.indexOf('\n'); lf >= 0; start = lf + 1, lf = head.indexOf('\n', start)) {
            String l = head.substring(start, lf > start && head.charAt(lf - 1) == '\r' ? lf - 1 : lf);
            if (l.indexOf('\r') >= 0) {
                throw new HttpError(400, "a bare CR in the request head: end lines with CRLF (or LF)");
            }
            lines.add(l);
        }
        return lines;
    }

    /** The value of the one field {@code name}, null when absent; given twice is an error. */
    String field(String name) {
        List<String> values = fields.get(name);
        if (values == null) {
            return null;
        }
        if (values.size() > 1) {
            throw new HttpError(400, "the header " + name + " is given " + values.size() + " times: give it once");
        }
        return values.getFirst();
    }

    /**
     * The length of the body the client declared. A Transfer-Encoding is refused whatever comes
     * with it: this server takes no bodies, and with a Content-Length beside it, two readers on
     * the way can disagree on where the next request starts (RFC 9112 section 6.3, smuggling).
     */
    long bodyLength() {
        if (fields.containsKey("transfer-encoding")) {
            throw new HttpError(400, "a Transfer-Encoding" + (fields.containsKey("content-length") ? " with a Content-Length" : "")
                    + " is refused: this server takes no request bodies (send GET without one)");
        }
        String length = field("content-length");
        if (length == null) {
            return 0;
        }
        if (!length.matches("[0-9]{1,18}")) {
            throw new HttpError(400, "Content-Length " + Query.quote(length) + " is not a number of bytes");
        }
        return Long.parseLong(length);
    }

    /** Whether the client asked to close the connection after this answer (or speaks HTTP/1.0, which closes by default). */
    boolean wantsClose() {
        List<String> connection = fields.getOrDefault("connection", List.of());
        return http10 || connection.stream().anyMatch(v -> v.toLowerCase(Locale.ROOT).matches("(.*,)?\\s*close\\s*(,.*)?"));
    }

    /** The target's path, still percent-encoded: an absolute-form target's path, else the target up to its '?'. */
    String path() {
        String t = target;
        Matcher absolute = Pattern.compile("(?i)https?://[^/?#]*(.*)").matcher(t);
        if (absolute.matches()) {
            t = absolute.group(1).isEmpty() ? "/" : absolute.group(1);
        }
        int q = t.indexOf('?');
        return q < 0 ? t : t.substring(0, q);
    }

    /** The target's query, still percent-encoded; null when there is no '?'. */
    String query() {
        int q = target.indexOf('?');
        return q < 0 ? null : target.substring(q + 1);
    }
}
