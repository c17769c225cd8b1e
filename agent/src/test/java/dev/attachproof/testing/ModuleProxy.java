package dev.attachproof.testing;

import org.junit.jupiter.api.Assumptions;

import java.util.List;

/**
 * What a failed go command that needed the Go module proxy (a toolchain through GOTOOLCHAIN, a
 * module through go install) says when the proxy could not be reached: such a test is skipped,
 * with the reason, rather than failed. CI reaches the proxy, so there it runs; offline (a laptop
 * on a plane, a sandbox without network) it says why it did not.
 */
public final class ModuleProxy {
    /** The go command's words for a network that is not there (net/http and net errors, GOPROXY=off). */
    private static final List<String> UNREACHABLE = List.of("dial tcp", "no such host", "connection refused",
            "i/o timeout", "network is unreachable", "TLS handshake timeout", "proxyconnect", "GOPROXY=off",
            "temporary failure in name resolution");

    private ModuleProxy() {}

    /**
     * Skips the test when {@code output}, what a failed go command printed, says the module proxy
     * could not be reached; returns otherwise (the caller then fails as before).
     *
     * @param what what needed the proxy ("GOTOOLCHAIN=go1.22.0 go build ./stacks")
     */
    public static void skipIfUnreachable(String output, String what) {
        String lower = output.toLowerCase(java.util.Locale.ROOT);
        for (String sign : UNREACHABLE) {
            if (lower.contains(sign.toLowerCase(java.util.Locale.ROOT))) {
                String line = output.lines().filter(l -> l.toLowerCase(java.util.Locale.ROOT)
                        .contains(sign.toLowerCase(java.util.Locale.ROOT))).findFirst().orElse(sign).strip();
                Assumptions.abort("the Go module proxy cannot be reached (" + line + "): " + what
                        + " needs it; where it is reachable (CI) this test runs");
            }
        }
    }
}
