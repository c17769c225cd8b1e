package dev.attachproof.diagnose;

/** A check's outcome. FAIL means this cause alone denies the attach. */
public enum Status {
    PASS, WARN, FAIL, SKIP;

    public String json() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
