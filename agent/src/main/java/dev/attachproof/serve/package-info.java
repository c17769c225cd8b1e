/**
 * {@code attachproof serve}: the sidecar. A small HTTP/1.1 server of its own ({@link
 * dev.attachproof.serve.Http1Server}: blocking sockets, a virtual thread per connection, no
 * framework; the JDK's com.sun.net.httpserver cannot cap connections per client or answer its
 * own protocol errors in JSON) answers {@code GET /v1/doctor?pid=N},
 * {@code /v1/goroutines?pid=N&format=F}, {@code /v1/ps} and {@code /healthz} with the same
 * documents the command line prints, made by the same code ({@code service}, {@code report}). It
 * is read-only (GET and HEAD), bounded (a deadline for each request head, caps on connections
 * per client and in all, a token bucket for the request rate, a few snapshots at a time, one
 * request tracing a given pid at a time, as ptrace allows one tracer, one /proc scan at a time),
 * and answers every mistake with a one-line JSON error that names the problem and the remedy,
 * never a stack trace. Off the loopback interface it refuses to start without a bearer token.
 * Every request is logged in one line on stderr.
 */
package dev.attachproof.serve;
