package dev.attachproof.cli;

import dev.attachproof.serve.ServeSettings;
import dev.attachproof.serve.SidecarServer;
import dev.attachproof.snapshot.MaxStop;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code serve}: the sidecar, the doctor, goroutines and ps over HTTP until SIGTERM or SIGINT. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Serves doctor, goroutines and ps over HTTP (read-only, JSON), for a sidecar container:",
            "  GET /v1/doctor?pid=N|container=ID, /v1/goroutines?pid=N|container=ID&format=text|json|pprof, /v1/ps, /healthz.",
            "Listens on 127.0.0.1:7070 by default. Any other address needs a bearer token (--token-file, or the "
                + "ATTACHPROOF_TOKEN environment variable), which every request but /healthz must then carry.",
            "Each request is logged in one line on standard error. Stops on SIGTERM or SIGINT.",
            "Exit status: 2 when it cannot start (an address off loopback without a token, a bad token, a token file that is "
                + "not a regular file of at most 4096 bytes, the port taken)."})
final class ServeCommand implements Callable<Integer> {

    @Option(names = "--listen", paramLabel = "ADDR",
            description = "HOST:PORT, PORT (on 127.0.0.1) or :PORT (every interface). Default: 127.0.0.1:7070.")
    String listen;

    @Option(names = "--token-file", paramLabel = "PATH",
            description = "The bearer token (at least 16 characters), read from PATH; takes precedence over ATTACHPROOF_TOKEN.")
    Path tokenFile;

    @Option(names = "--rate", paramLabel = "N", defaultValue = "" + ServeSettings.DEFAULT_RATE,
            description = "Requests per second, on average (default ${DEFAULT-VALUE}); more are answered 429.")
    double rate;

    @Option(names = "--burst", paramLabel = "N", defaultValue = "" + ServeSettings.DEFAULT_BURST,
            description = "Requests allowed at once above the rate (default ${DEFAULT-VALUE}).")
    int burst;

    @Option(names = "--max-snapshots", paramLabel = "N", defaultValue = "" + ServeSettings.DEFAULT_SNAPSHOTS,
            description = "Goroutine snapshots at the same time (default ${DEFAULT-VALUE}); more are answered 503.")
    int maxSnapshots;

    @Option(names = "--max-stop", paramLabel = "DURATION", defaultValue = "50ms",
            description = "How long a goroutine snapshot may keep its target stopped (default ${DEFAULT-VALUE}; off for no limit): "
                + "past it the target is let go and the stacks not yet copied are read while it runs, and marked so. "
                + "A request's maxStop= overrides it.")
    String maxStop;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        ServeSettings settings;
        java.time.Duration limit;
        try {
            limit = MaxStop.parse(maxStop).orElse(null);
        } catch (IllegalArgumentException e) {
            throw new BadInputException("--max-stop: " + e.getMessage());
        }
        try {
            settings = ServeSettings.of(listen, tokenFile, System.getenv(ServeSettings.TOKEN_VARIABLE), rate, burst, maxSnapshots,
                    limit);
        } catch (IllegalArgumentException e) {
            throw new BadInputException(e.getMessage());
        }
        SidecarServer server;
        try {
            server = SidecarServer.start(settings, System.err, debug());
        } catch (IOException e) {
            throw new BadInputException("cannot listen on " + (listen == null ? "127.0.0.1:7070" : listen) + ": " + e.getMessage()
                    + " (choose another address with --listen)");
        }
        Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().name("attachproof-serve-stop").unstarted(() -> {
            server.stop();
            System.err.println("attachproof serve: stopped");
        }));
        System.err.println("attachproof serve: " + server.describe());
        server.awaitStop();
        return ExitCodes.ATTACHABLE;
    }

    private boolean debug() {
        return spec.commandLine().getParseResult().hasMatchedOption("--debug")
                || spec.root().commandLine().getParseResult().hasMatchedOption("--debug");
    }
}
