package dev.attachproof.diagnose;

/** Can a debugger attach from here? As the JSON contract spells it. */
public enum Verdict {
    ATTACHABLE("attachable"), NOT_ATTACHABLE("not-attachable"), UNKNOWN("unknown");

    private final String json;

    Verdict(String json) {
        this.json = json;
    }

    public String json() {
        return json;
    }
}
