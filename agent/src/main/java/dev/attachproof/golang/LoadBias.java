package dev.attachproof.golang;

import dev.attachproof.elf.ElfFile;
import dev.attachproof.procfs.Mapping;

import java.util.List;

/** Where a position-independent executable was loaded, relative to its link-time addresses. */
public final class LoadBias {
    private LoadBias() {}

    /**
     * The bias of {@code elf} (0 unless ET_DYN) in a process whose mappings are {@code maps},
     * its executable's link text being {@code linkText} (readlink of /proc/PID/exe).
     */
    public static long of(ElfFile elf, List<Mapping> maps, String linkText) {
        if (elf.type() != ElfFile.ET_DYN) {
            return 0;
        }
        String path = linkText.endsWith(" (deleted)") ? linkText.substring(0, linkText.length() - 10) : linkText;
        for (Mapping m : maps) {
            if (m.path().equals(path) || m.path().equals(linkText)) {
                return m.start() - m.offset() - (elf.firstLoadAddress() & ~0xfffL);
            }
        }
        return 0;
    }
}
