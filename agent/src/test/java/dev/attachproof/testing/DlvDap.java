package dev.attachproof.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.attachproof.delve.DapClient;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A DAP session with a real Delve, as VS Code's Go extension opens one: `dlv dap` on a free port
 * of this host (local attach), or a connection to a headless Delve already listening (remote).
 * The requests are the test's own; closing ends the session and the dlv started here.
 */
public final class DlvDap implements AutoCloseable {
    public static final Duration TIMEOUT = Duration.ofSeconds(30);
    private final Process dlv;
    private final DapClient client;

    private DlvDap(Process dlv, DapClient client) {
        this.dlv = dlv;
        this.client = client;
    }

    /** `dlv dap --listen=127.0.0.1:PORT` started, and connected to once it accepts. */
    public static DlvDap start(Path dlvBinary) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Process p = new ProcessBuilder(dlvBinary.toString(), "dap", "--listen=127.0.0.1:" + port)
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        return new DlvDap(p, connectWhenListening(new InetSocketAddress("127.0.0.1", port), p));
    }

    /** A connection to a headless Delve listening at {@code address} (it may still be starting). */
    public static DlvDap connect(InetSocketAddress address) throws Exception {
        return new DlvDap(null, connectWhenListening(address, null));
    }

    private static DapClient connectWhenListening(InetSocketAddress address, Process p) throws Exception {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (true) {
            try {
                return DapClient.connect(address, Duration.ofSeconds(5));
            } catch (IOException e) {
                // Delve announces its port on stdout, but a connection refused until it listens is the same fact.
                assertTrue(p == null || p.isAlive(), "dlv exited before it listened at " + address);
                assertTrue(System.nanoTime() < deadline, "nothing listens at " + address + " after " + TIMEOUT.toSeconds() + " s: " + e);
                TimeUnit.MILLISECONDS.sleep(50);
            }
        }
    }

    /** The request's response body; fails the test when Delve refuses it. */
    public JsonNode request(String command, ObjectNode arguments) throws Exception {
        DapClient.Response r = client.request(command, arguments, TIMEOUT);
        assertTrue(r.success(), command + " failed: " + r.message());
        return r.body();
    }

    /** The request's response, success or not. */
    public DapClient.Response tryRequest(String command, ObjectNode arguments) throws Exception {
        return client.request(command, arguments, TIMEOUT);
    }

    public JsonNode awaitEvent(String name) throws Exception {
        return client.awaitEvent(name, TIMEOUT);
    }

    /** VS Code's initialize, then the attach request with {@code configuration} as its arguments, then the initialized event. */
    public void initializeAndAttach(ObjectNode configuration) throws Exception {
        request("initialize", DapClient.arguments().put("clientID", "vscode").put("adapterID", "go")
                .put("linesStartAt1", true).put("columnsStartAt1", true).put("pathFormat", "path"));
        request("attach", configuration);
        awaitEvent("initialized");
    }

    /** Ends the session without ending the debuggee, and waits for a dlv started here to exit. */
    @Override
    public void close() throws Exception {
        try {
            client.request("disconnect", DapClient.arguments().put("terminateDebuggee", false), TIMEOUT);
        } catch (DapClient.DapException ignored) {
            // dlv gone already: the process check below says so
        } finally {
            client.close();
            if (dlv != null && !dlv.waitFor(10, TimeUnit.SECONDS)) {
                dlv.destroyForcibly().waitFor();
            }
        }
    }
}
