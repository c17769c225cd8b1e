package dev.attachproof.linux;

/** The first fields of a siginfo_t, as PTRACE_GETSIGINFO fills them. */
public record Siginfo(int signo, int errno, int code) {}
