package dev.attachproof.serve;

import dev.attachproof.diagnose.Doctor;
import dev.attachproof.diagnose.FactsReader;
import dev.attachproof.ptrace.StopMode;
import dev.attachproof.report.DoctorJson;
import dev.attachproof.report.GoroutinesFormat;
import dev.attachproof.report.Json;
import dev.attachproof.report.PsJson;
import dev.attachproof.service.Engine;
import dev.attachproof.snapshot.GoroutineSnapshot;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * What each endpoint answers: the command line's documents, made by the same calls ({@code
 * doctor N --json}, {@code goroutines N --format F}, {@code ps --json}). A missing or unsuitable
 * target comes up as the engine's {@link dev.attachproof.service.TargetException}; the server
 * turns it into 404 or 422.
 */
final class Endpoints {
    private final FactsReader facts = Engine.facts();
    private final Doctor doctor = Engine.doctor(facts, null, StopMode.LEADER);
    private final TraceAdmission admission;

    Endpoints(TraceAdmission admission) {
        this.admission = admission;
    }

    /** {@code GET /v1/doctor?pid=N}: the checks and the live proof, as {@code doctor N --json}. */
    Reply doctor(Query q) {
        int pid = q.pid();
        try (TraceAdmission.Lease lease = admission.admit(pid, false)) {
            return Reply.json(DoctorJson.write(Engine.diagnoseGo(facts, doctor, pid, true)));
        }
    }

    /** {@code GET /v1/goroutines?pid=N&format=text|json|pprof}: a snapshot, as {@code goroutines N --format F}. */
    Reply goroutines(Query q) {
        String name = q.get("format").orElse("text");
        GoroutinesFormat format = GoroutinesFormat.named(name).orElseThrow(() -> new HttpError(400,
                "unknown format " + Query.quote(name) + ": give format=text, json or pprof"));
        int pid = q.pid();
        try (TraceAdmission.Lease lease = admission.admit(pid, true)) {
            // The snapshot detaches inside take(), in its own finally: by the time it returns or
            // throws, the target runs again, whatever happens to this request afterwards.
            GoroutineSnapshot s = Engine.snapshot(pid, false);
            ByteArrayOutputStream body = new ByteArrayOutputStream(1 << 16);
            format.write(s, false, false, body);
            Map<String, String> headers = format == GoroutinesFormat.PPROF
                    ? Map.of("Content-Disposition", "attachment; filename=\"goroutines-" + pid + ".pb.gz\"")
                    : Map.of();
            return new Reply(200, format.mediaType(), body.toByteArray(), headers);
        } catch (IOException e) {
            throw new UncheckedIOException(e);   // a ByteArrayOutputStream does not fail
        }
    }

    /** {@code GET /v1/ps}: the visible Go processes, as {@code ps --json}. */
    Reply ps(Query q) {
        return Reply.json(PsJson.write(Engine.goProcesses(facts, doctor)));
    }

    /** {@code GET /healthz}: the server answers. Cheap, no token, no rate limit: for liveness probes. */
    Reply health(Query q) {
        return Reply.json(Json.write(Map.of("ok", true)));
    }
}
