package dev.attachproof.procfs;

import java.util.ArrayList;
import java.util.List;

/** One line of /proc/PID/maps. */
public record Mapping(long start, long end, String perms, long offset, String path) {

    static List<Mapping> parseAll(String text) {
        List<Mapping> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            // 00400000-00452000 r-xp 00000000 08:02 173521      /usr/bin/dbus-daemon
            String[] f = line.trim().split("\\s+", 6);
            if (f.length < 5) {
                continue;
            }
            int dash = f[0].indexOf('-');
            out.add(new Mapping(Long.parseUnsignedLong(f[0], 0, dash, 16),
                    Long.parseUnsignedLong(f[0], dash + 1, f[0].length(), 16),
                    f[1], Long.parseUnsignedLong(f[2], 16), f.length == 6 ? f[5] : ""));
        }
        return out;
    }
}
