package dev.attachproof.serve;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The sidecar's HTTP/1.1 server: a blocking socket and a virtual thread per connection, GET and
 * HEAD without bodies, keep-alive. It replaces the JDK's com.sun.net.httpserver, which cannot
 * hold the limits a sidecar needs (sun.net.httpserver.ServerImpl, JDK 25): its only connection
 * cap ({@code jdk.httpserver.maxConnections}) closes a new connection at accept when the cap is
 * reached, before it has sent a byte, whoever it comes from, so 256 stalled connections lock
 * every client out; no hook sees a client's address before the head is read (the executor is
 * handed an opaque {@code ServerImpl.Exchange}); {@code Request.readLine} ends the request line
 * only at CRLF, so an LF-only request is never answered; and it answers a bad request line, a
 * target that is not a URI, an unknown context or a bad Content-Length itself, in HTML, before
 * any handler (or log) sees it. Here every request that reaches a request line gets the handler's
 * answer, and the limits are: a first byte within {@link #HEAD_SECONDS} of the connection's
 * accept or previous answer (else a close without a word, which a client retries as it does any
 * keep-alive connection closed under it), the whole head within {@link #HEAD_SECONDS} of its first
 * byte (else 408 and close), {@link RequestHead#MAX_BYTES} of head, the {@link ConnectionGate}'s
 * caps on connections, and {@link #WRITE_SECONDS} to send an answer.
 */
final class Http1Server {
    /** Seconds a client has for a whole request head: a probe or curl needs milliseconds. */
    static final int HEAD_SECONDS = 5;
    /** Seconds to send one answer: 48 MB of goroutines to a slow reader, and a bound on one that never reads. */
    static final int WRITE_SECONDS = 120;
    /** Connections waiting for a head, per client address, and connections open in all. */
    static final int MAX_WAITING_PER_CLIENT = 16;
    static final int MAX_OPEN = 512;
    private static final int MAX_DISCARDED_BODY = 64 * 1024;
    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", java.util.Locale.US);

    /** A request as the handler sees it: the parsed head, or why it could not be read as one. */
    record Request(InetAddress client, String method, String target, String path, String query, RequestHead head,
                   HttpError refusal) {
        String header(String name) {
            return head == null ? null : head.fields().getOrDefault(name.toLowerCase(java.util.Locale.ROOT), java.util.List.of())
                    .stream().findFirst().orElse(null);
        }
    }

    private final ServerSocket listener;
    private final Function<Request, Reply> handler;
    private final ConnectionGate gate = new ConnectionGate(MAX_WAITING_PER_CLIENT, MAX_OPEN, System::nanoTime);
    private final ScheduledThreadPoolExecutor watchdog = new ScheduledThreadPoolExecutor(1,
            Thread.ofPlatform().daemon(true).name("attachproof-serve-watchdog").factory());
    private final Thread acceptor;

    Http1Server(InetSocketAddress address, Function<Request, Reply> handler) throws IOException {
        this.listener = new ServerSocket();
        listener.setReuseAddress(true);
        listener.bind(address, 128);
        this.handler = handler;
        // Every answer schedules its cut-off and cancels it when sent: dropped from the queue at
        // once, not left there for WRITE_SECONDS, at hundreds of answers a second.
        watchdog.setRemoveOnCancelPolicy(true);
        this.acceptor = Thread.ofPlatform().daemon(true).name("attachproof-serve-accept").unstarted(this::acceptLoop);
    }

    void start() {
        acceptor.start();
    }

    int port() {
        return listener.getLocalPort();
    }

    /**
     * Stops accepting, closes connections that are waiting for a request, gives the requests
     * being answered {@code graceMillis} to finish (an answer already on its way is sent whole,
     * with Connection: close), then closes what is left: a client cut off then sees fewer bytes
     * than the Content-Length it was promised, never a short body passed off as whole.
     */
    void stop(long graceMillis) throws InterruptedException {
        try {
            listener.close();
        } catch (IOException e) {
            // closing a listener does not fail in a way that matters here
        }
        gate.close(graceMillis);
        acceptor.join(1_000);
        watchdog.shutdownNow();
    }

    private void acceptLoop() {
        while (!listener.isClosed()) {
            Socket s;
            try {
                s = listener.accept();
            } catch (IOException e) {
                if (listener.isClosed()) {
                    return;
                }
                continue;   // EMFILE and the like: the gate's caps keep us well below the descriptor limit
            }
            Connection c = new Connection(s);
            if (gate.admit(c)) {
                Thread.ofVirtual().name("attachproof-serve-", s.getPort()).start(c::serve);
            } else {
                c.evict();
            }
        }
    }

    /** One client connection, served on its own virtual thread. */
    private final class Connection implements ConnectionGate.Closeable {
        private final Socket socket;
        private final InetAddress client;
        private boolean first = true;

        Connection(Socket socket) {
            this.socket = socket;
            this.client = ((InetSocketAddress) socket.getRemoteSocketAddress()).getAddress();
        }

        @Override
        public InetAddress client() {
            return client;
        }

        @Override
        public void evict() {
            try {
                socket.close();
            } catch (IOException e) {
                // already closed
            }
        }

        void serve() {
            try (socket) {
                InputStream in = new BufferedInputStream(socket.getInputStream(), 8192);
                OutputStream out = new BufferedOutputStream(socket.getOutputStream(), 1 << 16);
                boolean open = true;
                while (open && (first || gate.waiting(this))) {
                    first = false;
                    open = exchange(in, out);
                }
            } catch (IOException e) {
                // the client went away, or the gate or the watchdog closed the socket: nothing to answer
            } finally {
                gate.gone(this);
            }
        }

        /** Reads one request and answers it; whether the connection stays open for another. */
        private boolean exchange(InputStream in, OutputStream out) throws IOException {
            byte[] bytes;
            try {
                bytes = readHead(in);
            } catch (SocketTimeoutException e) {
                if (e.getMessage() != null && e.getMessage().equals("nothing")) {
                    return false;   // an idle connection, never a word: closed without one
                }
                answer(in, out, new Request(client, "-", "-", "-", null, null, new HttpError(408, "the request head did not "
                        + "arrive within " + HEAD_SECONDS + " s: send the whole request at once")), true);
                return false;
            } catch (HttpError e) {
                answer(in, out, refused(null, e), true);
                return false;
            }
            if (bytes == null) {
                return false;   // closed by the client between requests
            }
            if (!gate.working(this)) {
                return false;
            }
            String[] line = new String[1];
            RequestHead head;
            try {
                head = RequestHead.parse(bytes, line);
            } catch (HttpError e) {
                answer(in, out, refused(line[0], e), true);
                return false;
            }
            boolean close = head.wantsClose();
            HttpError refusal = null;
            try {
                long length = head.bodyLength();
                if (length > MAX_DISCARDED_BODY) {
                    refusal = new HttpError(413, "a request body of " + length + " bytes: this server takes no bodies (send GET without one)");
                    close = true;
                } else if (length > 0) {
                    if ("100-continue".equalsIgnoreCase(head.field("expect"))) {
                        out.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                        out.flush();
                    }
                    discard(in, length, System.nanoTime() + TimeUnit.SECONDS.toNanos(HEAD_SECONDS));
                }
            } catch (HttpError e) {
                refusal = e;
                close = true;
            }
            Request r = new Request(client, head.method(), head.target(), head.path(), head.query(), head, refusal);
            return answer(in, out, r, close);
        }

        private Request refused(String requestLine, HttpError e) {
            String[] words = requestLine == null ? new String[0] : requestLine.split(" ", 3);
            String target = words.length > 1 ? words[1] : "-";
            return new Request(client, words.length > 0 && !words[0].isEmpty() ? words[0] : "-", target, target, null, null, e);
        }

        /** Has the handler answer {@code r} and sends the answer; whether the connection stays open. */
        private boolean answer(InputStream in, OutputStream out, Request r, boolean close) throws IOException {
            Reply reply = handler.apply(r);
            boolean closing = close || r.refusal() != null && r.head() == null;
            ScheduledFuture<?> cut = watchdog.schedule(this::evict, WRITE_SECONDS, TimeUnit.SECONDS);
            try {
                // Asked after the handler: a stop that began meanwhile closes after this answer.
                closing |= gate.isClosed();
                out.write(statusAndHeaders(r, reply, closing));
                if (!r.method().equals("HEAD")) {
                    out.write(reply.body());
                }
                out.flush();
            } finally {
                cut.cancel(false);
            }
            if (closing) {
                lingeringClose(in);
            }
            return !closing;
        }

        /**
         * The head, up to and including the empty line that ends it (CRLF CRLF, or LF LF as RFC 9112
         * allows); null when the client closed before sending a byte. No byte within HEAD_SECONDS, or
         * a head not whole HEAD_SECONDS after its first byte, is a SocketTimeoutException, whose
         * message is "nothing" when not a byte came. The head's clock starts at its first byte, not at
         * the previous answer: a client that reuses a kept connection just before the idle limit
         * (CI saw it) must get its answer, not a 408 for a head that came whole in one segment.
         */
        private byte[] readHead(InputStream in) throws IOException {
            ByteArrayOutputStream head = new ByteArrayOutputStream(512);
            int lineLength = 0;          // the current line's bytes, a CR not counted
            boolean requestLine = false; // a non-empty line has come: the next empty one ends the head
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(HEAD_SECONDS);
            while (true) {
                int c = readBefore(in, deadline, head.size() == 0);
                if (head.size() == 0 && c >= 0) {
                    deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(HEAD_SECONDS);
                }
                if (c < 0) {
                    if (head.size() == 0) {
                        return null;
                    }
                    throw new IOException("closed by the client inside a request head");
                }
                head.write(c);
                if (head.size() > RequestHead.MAX_BYTES) {
                    throw new HttpError(431, "a request head over " + RequestHead.MAX_BYTES + " bytes: this server needs a few hundred");
                }
                if (c == '\n') {
                    if (lineLength == 0 && requestLine) {
                        return head.toByteArray();
                    }
                    requestLine |= lineLength > 0;
                    lineLength = 0;
                } else if (c != '\r') {
                    lineLength++;
                }
            }
        }

        /** One byte, waiting no later than {@code deadline}; a byte already received is never late. */
        private int readBefore(InputStream in, long deadline, boolean nothingYet) throws IOException {
            if (in.available() > 0) {
                return in.read();
            }
            long left = (deadline - System.nanoTime()) / 1_000_000;
            if (left <= 0) {
                throw new SocketTimeoutException(nothingYet ? "nothing" : "late");
            }
            socket.setSoTimeout((int) left);
            try {
                return in.read();
            } catch (SocketTimeoutException e) {
                throw new SocketTimeoutException(nothingYet ? "nothing" : "late");
            }
        }

        /** Reads and drops a declared body of {@code length} bytes, by {@code deadline}. */
        private void discard(InputStream in, long length, long deadline) throws IOException {
            for (long i = 0; i < length; i++) {
                if (readBefore(in, deadline, false) < 0) {
                    throw new IOException("closed by the client inside a request body");
                }
            }
        }

        /**
         * Closes after an answer: the sending side first, then what the client still sends is read
         * and dropped for a moment, so that unread bytes (a body we refused) do not make the kernel
         * answer with a reset that could destroy the answer on its way (RFC 9112 section 9.6).
         */
        private void lingeringClose(InputStream in) {
            try {
                socket.shutdownOutput();
                long deadline = System.nanoTime() + 1_000_000_000L;
                byte[] drop = new byte[8192];
                while (System.nanoTime() < deadline) {
                    socket.setSoTimeout((int) Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
                    if (in.read(drop) < 0) {
                        break;
                    }
                }
            } catch (IOException e) {
                // closed or timed out: either way the answer has gone
            }
        }
    }

    private static byte[] statusAndHeaders(Request r, Reply reply, boolean closing) {
        StringBuilder h = new StringBuilder(256);
        h.append("HTTP/1.1 ").append(reply.status()).append(' ').append(reason(reply.status())).append("\r\n");
        h.append("Date: ").append(DATE.format(ZonedDateTime.now(ZoneOffset.UTC))).append("\r\n");
        h.append("Content-Type: ").append(reply.mediaType()).append("\r\n");
        h.append("Content-Length: ").append(reply.body().length).append("\r\n");
        h.append("Cache-Control: no-store\r\n");
        h.append("X-Content-Type-Options: nosniff\r\n");
        for (Map.Entry<String, String> e : reply.headers().entrySet()) {
            h.append(e.getKey()).append(": ").append(e.getValue()).append("\r\n");
        }
        if (closing) {
            h.append("Connection: close\r\n");
        } else {
            // A client that keeps the connection learns when we will close it: not just as it reuses it.
            h.append("Keep-Alive: timeout=").append(HEAD_SECONDS - 1).append("\r\n");
        }
        return h.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    private static String reason(int status) {
        return switch (status) {
            case 200 -> "OK";
            case 400 -> "Bad Request";
            case 401 -> "Unauthorized";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 408 -> "Request Timeout";
            case 410 -> "Gone";
            case 413 -> "Content Too Large";
            case 422 -> "Unprocessable Content";
            case 429 -> "Too Many Requests";
            case 431 -> "Request Header Fields Too Large";
            case 500 -> "Internal Server Error";
            case 503 -> "Service Unavailable";
            case 505 -> "HTTP Version Not Supported";
            default -> "Status";
        };
    }
}
