package dev.attachproof.diagnose;

import com.fasterxml.jackson.annotation.JsonValue;

/** A check's outcome. FAIL means this cause alone denies the attach. */
public enum Status {
    PASS, WARN, FAIL, SKIP;

    /** As the contract (docs/contract.md) and the text outputs spell it: "pass", "warn", "fail", "skip". */
    @JsonValue
    public String word() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
