package dev.attachproof.procfs;

/** uid and gid owning a /proc entry. */
public record Owner(int uid, int gid) {
    static Owner parse(String text) {
        String[] f = text.strip().split("\\s+");
        return new Owner(Integer.parseInt(f[0]), Integer.parseInt(f[1]));
    }
}
