package dev.attachproof.serve;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/**
 * {@code --listen ADDR}: where the sidecar listens. {@code HOST:PORT}, {@code [IPV6]:PORT},
 * {@code HOST} (port 7070), {@code PORT} (on 127.0.0.1), or {@code :PORT}, which is every
 * interface, as Go's net.Listen reads it. Port 0 asks the kernel for a free one.
 */
final class ListenAddress {
    static final String DEFAULT_HOST = "127.0.0.1";
    static final int DEFAULT_PORT = 7070;

    private ListenAddress() {}

    static InetSocketAddress parse(String text) {
        if (text == null || text.isBlank()) {
            return resolve(DEFAULT_HOST, DEFAULT_PORT, text);
        }
        String s = text.strip();
        if (s.matches("\\d+")) {
            return resolve(DEFAULT_HOST, port(s, text), text);
        }
        if (s.startsWith("[")) {
            int close = s.indexOf(']');
            if (close < 0 || (close + 1 < s.length() && s.charAt(close + 1) != ':')) {
                throw bad(text, "an IPv6 address goes in brackets, e.g. [::1]:7070");
            }
            String port = close + 1 < s.length() ? s.substring(close + 2) : Integer.toString(DEFAULT_PORT);
            return resolve(s.substring(1, close), port(port, text), text);
        }
        int colon = s.lastIndexOf(':');
        if (colon < 0 || s.indexOf(':') != colon) {
            return resolve(s, DEFAULT_PORT, text);   // a host name, or an IPv6 literal without a port
        }
        String host = s.substring(0, colon);
        return resolve(host.isEmpty() ? "0.0.0.0" : host, port(s.substring(colon + 1), text), text);
    }

    private static int port(String digits, String text) {
        try {
            int p = Integer.parseInt(digits);
            if (p >= 0 && p <= 65535) {
                return p;
            }
        } catch (NumberFormatException e) {
            // the message below
        }
        throw bad(text, "'" + digits + "' is not a port (0 to 65535)");
    }

    private static InetSocketAddress resolve(String host, int port, String text) {
        try {
            return new InetSocketAddress(InetAddress.getByName(host), port);
        } catch (UnknownHostException e) {
            throw bad(text, "no address for host '" + host + "'");
        }
    }

    private static IllegalArgumentException bad(String text, String why) {
        return new IllegalArgumentException("--listen " + text + ": " + why
                + " (give HOST:PORT, PORT or :PORT; the default is " + DEFAULT_HOST + ":" + DEFAULT_PORT + ")");
    }
}
