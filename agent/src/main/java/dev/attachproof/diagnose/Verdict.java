package dev.attachproof.diagnose;

import com.fasterxml.jackson.annotation.JsonValue;

/** Can a debugger attach from here? */
public enum Verdict {
    ATTACHABLE("attachable"), NOT_ATTACHABLE("not-attachable"), UNKNOWN("unknown");

    private final String word;

    Verdict(String word) {
        this.word = word;
    }

    /** As the contract (docs/contract.md) and the text outputs spell it: "attachable", "not-attachable", "unknown". */
    @JsonValue
    public String word() {
        return word;
    }
}
