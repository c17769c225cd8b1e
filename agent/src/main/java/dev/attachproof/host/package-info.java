/**
 * The programs of this host that the commands find and ask: {@code go env}, {@code go version},
 * {@code dlv version}, {@code docker inspect}, {@code unshare}. {@link dev.attachproof.host.Programs}
 * finds one on PATH as a shell does and runs it with a bound on its time, reading its output
 * while it runs (a full pipe must not stall it), so that no command waits on a program that hangs.
 */
package dev.attachproof.host;
