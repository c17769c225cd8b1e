package dev.attachproof.linux;

/**
 * One classic BPF instruction, a {@code struct sock_filter}: what a seccomp filter is made of.
 * {@code jt}/{@code jf} are unsigned bytes, kept in ints.
 */
public record BpfInstruction(int code, int jt, int jf, int k) {

    public static BpfInstruction statement(int code, int k) {   // BPF_STMT
        return new BpfInstruction(code, 0, 0, k);
    }

    public static BpfInstruction jump(int code, int k, int jt, int jf) {   // BPF_JUMP
        return new BpfInstruction(code, jt, jf, k);
    }
}
