package dev.attachproof.serve;

import dev.attachproof.diagnose.ContainerTarget;
import dev.attachproof.diagnose.Doctor;
import dev.attachproof.diagnose.FactsReader;
import dev.attachproof.ptrace.StopMode;
import dev.attachproof.report.DoctorJson;
import dev.attachproof.report.GoroutinesFormat;
import dev.attachproof.report.JsonDocuments;
import dev.attachproof.report.PsJson;
import dev.attachproof.delve.DelveLocator;
import dev.attachproof.service.Engine;
import dev.attachproof.service.PidArgument;
import dev.attachproof.snapshot.GoroutineSnapshot;
import dev.attachproof.snapshot.MaxStop;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What each endpoint answers: the command line's documents, made by the same calls ({@code
 * doctor N --json}, {@code goroutines N --format F}, {@code ps --json}). A missing or unsuitable
 * target comes up as the engine's {@link dev.attachproof.service.TargetException}; the server
 * turns it into 404 or 422.
 */
final class Endpoints {
    /** The header that carries what the command line prints as a note on standard error. */
    static final String NOTE = "Attachproof-Note";

    private final FactsReader facts = Engine.facts();
    /**
     * As {@code doctor N --json} with no flags: delve.compat judges the Delve VS Code would run here,
     * looked for once when the server starts (a sidecar's environment does not change under it).
     */
    private final Doctor doctor = Engine.doctor(facts,
            new DelveLocator(DelveLocator.Environment.live()).locate(null), StopMode.LEADER);
    private final TraceAdmission admission;
    private final AtomicInteger psScans = new AtomicInteger();
    private final AtomicInteger psPeak = new AtomicInteger();
    private CompletableFuture<Reply> runningPs;   // guarded by this

    /** The snapshots' stop limit unless a request gives its own ({@code maxStop=}); null: none. */
    private final java.time.Duration maxStop;

    Endpoints(TraceAdmission admission, java.time.Duration maxStop) {
        this.admission = admission;
        this.maxStop = maxStop;
    }

    /**
     * The process a request names: {@code ?pid=N} (a thread's id stands for its process, with a
     * note), or {@code ?container=ID}, the main Go process of that container ({@link
     * Engine#container}), with the choice as the note and in the JSON documents.
     */
    private record Target(int pid, String note, ContainerTarget container) {}

    private Target target(Query q) {
        Optional<String> container = q.container();
        if (container.isPresent()) {
            ContainerTarget c = Engine.container(facts, container.get());
            return new Target(c.pid(), c.describe(), c);
        }
        PidArgument.Target t = PidArgument.resolve(facts.procfs(), q.pid());
        return new Target(t.pid(), t.note(), null);
    }

    /** {@code GET /v1/doctor?pid=N|container=ID}: the checks and the live proof, as {@code doctor N --json}. */
    Reply doctor(Query q) {
        Target target = target(q);
        int pid = target.pid();
        try (TraceAdmission.Lease lease = admission.admit(pid, false)) {
            return noted(Reply.json(DoctorJson.write(Engine.diagnoseGo(facts, doctor, pid, true), target.container())), target);
        }
    }

    /**
     * {@code GET /v1/goroutines?pid=N|container=ID&format=text|json|pprof&maxStop=DURATION|off}: a
     * snapshot, as {@code goroutines N --format F --max-stop D}; the stop limited to serve's
     * --max-stop (50 ms) unless the request says otherwise.
     */
    Reply goroutines(Query q) {
        String name = q.get("format").orElse("text");
        GoroutinesFormat format = GoroutinesFormat.named(name).orElseThrow(() -> new HttpError(400,
                "unknown format " + Query.quote(name) + ": give format=text, json or pprof"));
        java.time.Duration limit = maxStop;
        if (q.get("maxStop").isPresent()) {
            try {
                limit = MaxStop.parse(q.get("maxStop").get()).orElse(null);
            } catch (IllegalArgumentException e) {
                throw new HttpError(400, "maxStop=" + Query.quote(q.get("maxStop").get()) + ": give e.g. 50ms, 0.2s, 500us, or off");
            }
        }
        Target target = target(q);
        int pid = target.pid();
        try (TraceAdmission.Lease lease = admission.admit(pid, true)) {
            // The snapshot detaches inside take(), in its own finally: by the time it returns or
            // throws, the target runs again, whatever happens to this request afterwards.
            // What goroutines wait on only for the JSON, the one format here that shows it.
            GoroutineSnapshot s = Engine.snapshot(pid, false, limit,
                    new GoroutineSnapshot.Reading(format == GoroutinesFormat.JSON, false));
            ByteArrayOutputStream body = new ByteArrayOutputStream(1 << 16);
            format.write(s, false, false, false, target.container(), body);
            Map<String, String> headers = format == GoroutinesFormat.PPROF
                    ? Map.of("Content-Disposition", "attachment; filename=\"goroutines-" + pid + ".pb.gz\"")
                    : Map.of();
            return noted(new Reply(200, format.mediaType(), body.toByteArray(), headers), target);
        } catch (IOException e) {
            throw new UncheckedIOException(e);   // a ByteArrayOutputStream does not fail
        }
    }

    /**
     * {@code GET /v1/ps}: the visible Go processes, as {@code ps --json}. A scan reads every
     * process's /proc entries and executable; requests that arrive while one runs wait for it and
     * share its answer instead of starting their own, so a burst (100 at once under a high
     * --rate) costs one scan's memory and time, not a hundred. A shared answer is at most one
     * scan old.
     */
    Reply ps(Query q) {
        CompletableFuture<Reply> scan;
        boolean mine = false;
        synchronized (this) {
            if (runningPs == null) {
                runningPs = new CompletableFuture<>();
                mine = true;
            }
            scan = runningPs;
        }
        if (mine) {
            int now = psScans.incrementAndGet();
            psPeak.accumulateAndGet(now, Math::max);
            try {
                scan.complete(Reply.json(PsJson.write(Engine.goProcesses(facts, doctor))));
            } catch (Throwable e) {
                scan.completeExceptionally(e);
            } finally {
                psScans.decrementAndGet();
                synchronized (this) {
                    runningPs = null;
                }
            }
        }
        try {
            return scan.join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
    }

    /** The most /proc scans that ran at once: 1 however many requests came together. */
    int peakConcurrentPsScans() {
        return psPeak.get();
    }

    /** {@code reply}, with a note when the pid asked for was a thread's ({@link PidArgument#resolve}) or a container's choice. */
    private static Reply noted(Reply reply, Target target) {
        return target.note() == null ? reply : reply.withHeader(NOTE, fieldValue(target.note()));
    }

    /**
     * {@code note} as a header field's value: a container's note quotes its process's executable
     * path, which its owner chose and which may hold a CR LF (a header of their making) or what
     * ISO-8859-1 cannot carry. RFC 9110 section 5.5 allows visible ASCII and spaces; the rest is
     * written as a backslash, u and four hex digits, as the JSON writer writes controls.
     */
    static String fieldValue(String note) {
        StringBuilder b = new StringBuilder(note.length());
        for (int i = 0; i < note.length(); i++) {
            char c = note.charAt(i);
            if (c >= 0x20 && c <= 0x7e && c != '\\') {
                b.append(c);
            } else {
                b.append(String.format("\\u%04x", (int) c));
            }
        }
        return b.toString();
    }

    /** {@code /healthz}'s answer: {@code {"ok": true}}. */
    record Health(boolean ok) {}

    private static final String HEALTHY = JsonDocuments.write(new Health(true));

    /** {@code GET /healthz}: the server answers. Cheap, no token, no rate limit: for liveness probes. */
    Reply health(Query q) {
        return Reply.json(HEALTHY);
    }
}
