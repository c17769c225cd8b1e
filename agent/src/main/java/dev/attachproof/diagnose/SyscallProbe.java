package dev.attachproof.diagnose;

/**
 * A harmless call made only to see whether a seccomp filter stands in its way: {@code expected}
 * is what the kernel answers when nothing filters it, {@code observed} what it did answer
 * ("ok" or an errno name).
 */
public record SyscallProbe(String call, String expected, String observed) {

    public boolean asExpected() {
        return expected.equals(observed);
    }
}
