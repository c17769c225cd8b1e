package dev.attachproof.linux;

/** A real, effective and saved id triple, as getresuid(2)/getresgid(2) return it. */
public record Ids(int real, int effective, int saved) {}
