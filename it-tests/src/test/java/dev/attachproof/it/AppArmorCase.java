package dev.attachproof.it;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The AppArmor cases YamaKernelTest's init runs (yamainit/apparmor.go) at ptrace_scope 0: the
 * doctor as uid 1000 on a uid-1000 Go target that does not descend from it, each side under a
 * profile of {@link AppArmorPolicy} or unconfined (null), so that AppArmor alone can refuse.
 * What the kernel must answer is not written here: {@link #kernelAllows} applies AppArmor's rule
 * to the profiles' ptrace rules as their source states them.
 */
enum AppArmorCase {
    SAME_PROFILE("same-profile", "docker-default", "docker-default"),
    DIFFERENT_PROFILES("different-profiles", "docker-default", "cri-containerd.apparmor.d"),
    UNCONFINED_TRACER("unconfined-tracer", null, "docker-default"),
    UNCONFINED_TARGET("unconfined-target", "docker-default", null),
    TRACE_RULE("trace-rule", "debugger", null),
    TRACE_RULE_WITHOUT_TRACEDBY("trace-rule-without-tracedby", "debugger", "docker-default");

    /** The profiles whose rules the doctor knows (AppArmorPtrace.KNOWN): the container runtimes'. */
    private static final List<String> KNOWN_TO_THE_DOCTOR = AppArmorPolicy.CONTAINER_PROFILES;

    final String key;
    final String tracer;
    final String target;

    AppArmorCase(String key, String tracer, String target) {
        this.key = key;
        this.tracer = tracer;
        this.target = target;
    }

    /** The label /proc shows for a side: "unconfined", or the profile and its mode. */
    static String label(String profile) {
        return profile == null ? "unconfined" : profile + " (enforce)";
    }

    private static String peer(String profile) {
        return profile == null ? "unconfined" : profile;
    }

    /**
     * The sides that refuse, as aa_may_ptrace decides (security/apparmor: profile_tracer_perm,
     * profile_tracee_perm): a confined tracer's profile needs `ptrace (trace) peer=TARGET`; a
     * confined target's needs `ptrace (tracedby) peer=TRACER` unless the tracer is unconfined.
     * Each refusal as the doctor words it.
     */
    List<String> refusals(Map<String, AppArmorPolicy.PtraceRules> rules) {
        List<String> refusals = new ArrayList<>();
        if (tracer == null) {
            return refusals;
        }
        if (!rules.get(tracer).trace().contains(peer(target))) {
            refusals.add("the tracer's profile '" + tracer + "' needs `ptrace (trace) peer=" + peer(target) + "`");
        }
        if (target != null && !rules.get(target).tracedBy().contains(tracer)) {
            refusals.add("the target's profile '" + target + "' needs `ptrace (tracedby) peer=" + tracer + "`");
        }
        return refusals;
    }

    boolean kernelAllows(Map<String, AppArmorPolicy.PtraceRules> rules) {
        return refusals(rules).isEmpty();
    }

    /**
     * Whether the doctor, which sees labels and not rules, can only predict: the tracer is
     * confined by a profile it does not know, and no known profile refuses for certain.
     */
    boolean predictedFromLabelsOnly(Map<String, AppArmorPolicy.PtraceRules> rules) {
        boolean knownRefuses = refusals(rules).stream().anyMatch(r -> KNOWN_TO_THE_DOCTOR.stream().anyMatch(k -> r.contains("'" + k + "'")));
        return tracer != null && !KNOWN_TO_THE_DOCTOR.contains(tracer) && !peer(target).equals(tracer) && !knownRefuses;
    }

    /**
     * An init's AppArmor event (the run, and the target's label as the init read it): the
     * kernel's answer must be AppArmor's rule, and the doctor must say so: the labels it read,
     * verdict, exit status, the lsm finding and the rule it names, the refusal blamed on lsm
     * alone, no contradiction, and the prediction right wherever the labels decide it.
     */
    void assertAnswer(JsonNode event, Map<String, AppArmorPolicy.PtraceRules> rules) {
        JsonNode run = event.get("run");
        JsonNode doc = run.get("doctor");
        assertTrue(doc != null && doc.isObject(), () -> this + ": the doctor printed no JSON: exit " + run.get("exit")
                + ", stdout " + run.path("stdout") + ", stderr " + run.path("stderr"));
        boolean allowed = kernelAllows(rules);
        boolean fromLabels = predictedFromLabelsOnly(rules);
        JsonNode lsm = YamaKernelTest.check(doc, "lsm");
        assertAll(this + "; the doctor said:\n" + doc.toPrettyString() + "\nstderr: " + run.path("stderr").asText(),
                () -> assertEquals(label(target), event.path("targetLabelSeenByInit").asText(), "the target's label, read by the init"),
                () -> assertEquals(label(tracer), lsm.at("/evidence/tracerLabel").asText(), "our label, as the doctor read it"),
                () -> assertEquals(label(target), lsm.at("/evidence/targetLabel").asText(), "the target's label, as the doctor read it"),
                () -> assertEquals("Y", lsm.at("/evidence/appArmorEnabled").asText(), "AppArmor on, from /sys/module"),
                () -> assertTrue(doc.at("/proof/attempted").asBoolean(), "the proof was attempted"),
                () -> assertEquals(allowed, doc.at("/proof/ok").asBoolean(), "the kernel's answer: attached"),
                () -> assertEquals(allowed ? null : "EACCES", doc.at("/proof/errno").textValue(), "the kernel's answer: errno"),
                () -> assertEquals(allowed ? "attachable" : "not-attachable", doc.get("verdict").asText(), "verdict"),
                () -> assertEquals(allowed ? 0 : 1, run.get("exit").asInt(), "exit status"),
                () -> assertEquals(allowed ? List.of() : List.of("lsm"), YamaKernelTest.failing(doc), "failing checks"),
                () -> assertEquals(allowed ? List.of() : List.of("lsm"), YamaKernelTest.texts(doc.at("/proof/explainedBy")),
                        "the checks the refusal is blamed on"),
                () -> assertTrue(doc.get("contradiction").isNull(), "contradiction: " + doc.get("contradiction")),
                () -> assertEquals(fromLabels != allowed ? "attachable" : "not-attachable", doc.get("predicted").asText(),
                        "predicted from the labels"),
                () -> {
                    if (allowed) {
                        assertNotEquals("fail", lsm.get("status").asText(), "lsm: " + lsm);
                    } else {
                        assertEquals("fail", lsm.get("status").asText(), "lsm: " + lsm);
                        assertEquals("EACCES", lsm.at("/evidence/errno").asText(), "the errno lsm names");
                        assertEquals(fromLabels ? refusals(rules) : refusals(rules).stream()
                                        .filter(r -> KNOWN_TO_THE_DOCTOR.stream().anyMatch(k -> r.contains("'" + k + "'"))).toList(),
                                YamaKernelTest.texts(lsm.at("/evidence/deniedBy")), "the rules lsm names");
                        assertTrue(lsm.get("remedy").asText().contains("--security-opt apparmor=unconfined"), "remedy: " + lsm.get("remedy"));
                    }
                },
                () -> {
                    if (fromLabels && allowed) {
                        assertEquals("pass", lsm.get("status").asText(), "lsm, settled by the attach: " + lsm);
                        assertTrue(lsm.at("/evidence/rules").asText().startsWith("proven by the attach"), "lsm: " + lsm);
                    }
                });
    }
}
