package dev.attachproof.procfs;

import java.util.Optional;

/**
 * An SELinux boolean as selinuxfs shows it in /sys/fs/selinux/booleans/NAME: two numbers, the
 * value the loaded policy uses now and the value a commit would give it ("1 1", "0 0"; written by
 * sel_read_bool in security/selinux/selinuxfs.c as "%d %d"). setsebool sets and commits both.
 */
public record SelinuxBoolean(boolean current, boolean pending) {

    /** Empty when the text is not two numbers. */
    public static Optional<SelinuxBoolean> parse(String text) {
        String[] f = text.strip().split("\\s+");
        if (f.length != 2 || !f[0].matches("\\d+") || !f[1].matches("\\d+")) {
            return Optional.empty();
        }
        return Optional.of(new SelinuxBoolean(!f[0].equals("0"), !f[1].equals("0")));
    }

    /** As selinuxfs writes it: "1 1". */
    public String text() {
        return (current ? 1 : 0) + " " + (pending ? 1 : 0);
    }
}
