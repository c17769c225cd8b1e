package dev.attachproof.diagnose;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * One check's answer: its stable id (docs/contract.md), status, a one-line summary, the evidence that
 * decided it (file contents, errno names, ids) and what to do, or null when nothing is needed.
 */
public record Finding(String id, Status status, String summary, Map<String, Object> evidence, String remedy) {

    public Finding {
        evidence = Collections.unmodifiableMap(new LinkedHashMap<>(evidence));
    }

    public static Builder of(String id) {
        return new Builder(id);
    }

    /**
     * A builder holding this finding's id and evidence but the keys {@code dropped}: for a check
     * that restates its finding once an attach has proven what /proc could not show.
     */
    public Builder restated(String... dropped) {
        Builder b = new Builder(id);
        Set<String> drop = Set.of(dropped);
        evidence.forEach((key, value) -> {
            if (!drop.contains(key)) {
                b.evidence(key, value);
            }
        });
        return b;
    }

    /** Collects evidence in order, then states the outcome. */
    public static final class Builder {
        private final String id;
        private final Map<String, Object> evidence = new LinkedHashMap<>();

        private Builder(String id) {
            this.id = id;
        }

        public Builder evidence(String key, Object value) {
            evidence.put(key, value);
            return this;
        }

        public Finding pass(String summary) {
            return new Finding(id, Status.PASS, summary, evidence, null);
        }

        public Finding warn(String summary, String remedy) {
            return new Finding(id, Status.WARN, summary, evidence, remedy);
        }

        public Finding fail(String summary, String remedy) {
            return new Finding(id, Status.FAIL, summary, evidence, remedy);
        }

        public Finding skip(String summary) {
            return new Finding(id, Status.SKIP, summary, evidence, null);
        }
    }
}
