package dev.attachproof.buildinfo;

import dev.attachproof.elf.ElfFile;
import dev.attachproof.elf.ElfFormatException;

import java.io.IOException;
import java.nio.file.Path;

/**
 * An executable opened the one way doctor, compat and goroutines open it: its ELF and Go build
 * info, or the reason it cannot be read. One reader, so that the three name one cause. "Not a Go
 * program" is said only of an ELF that reads whole and holds no Go build info; a file whose ELF
 * does not read (truncated by a copy that stopped, corrupted on disk) is {@link Damaged}, with
 * the ELF reader's reason, although its build info may be intact: the kernel loads a Go binary
 * from its program headers alone, so a copy cut in its DWARF runs on while every reader of its
 * sections fails.
 */
public sealed interface GoExecutable {
    /** What to do about a damaged executable: the same words wherever it is found. */
    String DAMAGED_REMEDY = "replace it with an intact copy of the build (compare its size and sha256sum with the "
            + "original's); a debugger reads the same file and fails on it too, unless given the copy (dlv attach PID COPY)";

    /**
     * What to do about a damaged DWARF: the attach works, debugging from that DWARF does not. An
     * intact copy of the same build carries the same addresses, so Delve can read it instead
     * ({@code dlv attach PID [executable]}, {@code dlv core EXE CORE}).
     */
    String DAMAGED_DWARF_REMEDY = "rebuild it, or give the debugger an intact copy of the same build "
            + "(dlv attach PID COPY, dlv core COPY CORE)";

    /** A Go executable: its ELF reads and holds Go build info. */
    record Go(ElfFile elf, GoBuildInfo info) implements GoExecutable {}

    /** An ELF that reads whole and holds no Go build info. */
    record NotGo(ElfFile elf) implements GoExecutable {}

    /**
     * A file of a kind not read here (not ELF, 32-bit, big-endian, over 2 GiB): not a Go program
     * attachproof reads, and not damaged either.
     */
    record Unsupported(String reason) implements GoExecutable {
        public String cause() {
            return "not an executable attachproof reads (64-bit little-endian ELF): " + reason;
        }
    }

    /** An ELF (or its Go build info) that does not read; {@code reason} is the reader's one line. */
    record Damaged(String reason) implements GoExecutable {
        /** The cause, as every command names it. */
        public String cause() {
            return "the executable is damaged: " + reason;
        }
    }

    /** The cause when the executable reads but its DWARF does not, with the DWARF reader's reason. */
    static String damagedDwarf(String reason) {
        return "its DWARF is damaged: " + reason;
    }

    /**
     * Opens {@code path}. A file that cannot be opened at all (ENOENT, EACCES) throws, as the
     * file system said; a file that opens and is not a readable ELF is {@link Damaged}.
     */
    static GoExecutable open(Path path) throws IOException {
        ElfFile elf;
        try {
            elf = ElfFile.open(path);
        } catch (ElfFormatException e) {
            return e.isUnsupported() ? new Unsupported(e.getMessage()) : new Damaged(e.getMessage());
        }
        try {
            return GoBuildInfo.read(elf).<GoExecutable>map(info -> new Go(elf, info)).orElseGet(() -> new NotGo(elf));
        } catch (ElfFormatException e) {
            return new Damaged(e.getMessage());
        }
    }
}
