package dev.attachproof.procfs;

/** One line of ids from /proc/PID/status: real, effective, saved, filesystem. */
public record Credentials(int real, int effective, int saved, int filesystem) {

    static Credentials parse(String value) {
        String[] f = value.trim().split("\\s+");
        if (f.length < 4) {
            return new Credentials(-1, -1, -1, -1);
        }
        return new Credentials(Integer.parseInt(f[0]), Integer.parseInt(f[1]),
                Integer.parseInt(f[2]), Integer.parseInt(f[3]));
    }

    /** "1000/1000/1000" (real/effective/saved), as evidence shows them. */
    public String res() {
        return real + "/" + effective + "/" + saved;
    }
}
