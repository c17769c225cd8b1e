package dev.attachproof.diagnose;

import java.util.List;

/** A visible Go process and what the checks predict for attaching to it (no proof is made). */
public record GoProcess(int pid, String name, int uid, String goVersion, String path, Verdict predicted,
                        List<String> causes) {}
