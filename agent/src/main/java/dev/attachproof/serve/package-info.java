/**
 * {@code attachproof serve}: the sidecar. The JDK's own HTTP server (com.sun.net.httpserver, no
 * framework) answers {@code GET /v1/doctor?pid=N}, {@code /v1/goroutines?pid=N&format=F},
 * {@code /v1/ps} and {@code /healthz} with the same documents the command line prints, made by
 * the same code ({@code service}, {@code report}). It is read-only (GET and HEAD), bounded (a
 * token bucket for the request rate, a few snapshots at a time, one request tracing a given pid
 * at a time, as ptrace allows one tracer), and answers every mistake with a one-line JSON error
 * that names the problem and the remedy, never a stack trace. Off the loopback interface it
 * refuses to start without a bearer token. Every request is logged in one line on stderr.
 */
package dev.attachproof.serve;
