package dev.attachproof.diagnose;

import dev.attachproof.buildinfo.GoBuildInfo;
import dev.attachproof.buildinfo.GoExecutable;

import java.util.Map;
import java.util.Optional;

/**
 * What the target's executable says, read through /proc/PID/exe (which reaches the running
 * file even when it was deleted, or lives in another mount namespace).
 *
 * @param linkText    readlink of /proc/PID/exe: the path in the target's mount namespace,
 *                    with " (deleted)" appended by the kernel when it was unlinked
 * @param readError   why the executable could not be read (e.g. "EACCES"), or null
 * @param pathState   what that path names now, in the target's mount namespace and in ours
 * @param dwarfVersion the version of the first DWARF unit (what Delve's DWARF 5 check sees), 0 without DWARF
 * @param symbols     addresses of the runtime symbols the proof reads, from .symtab (link-time
 *                    addresses; {@code loadBias} turns them into run-time ones for a PIE)
 * @param format      what of the file that opened did not read (its ELF, its kind, its DWARF)
 */
public record BinaryFacts(String linkText, String readError, ExePath pathState, String arch, int elfType,
                          Optional<GoBuildInfo> buildInfo, boolean hasDwarf, int dwarfVersion, boolean hasSymtab,
                          Map<String, Long> symbols, long loadBias, Format format) {

    /**
     * The reader's reasons, each null when that part read: {@code damage}, the ELF or its build
     * info does not hold ({@link GoExecutable.Damaged}); {@code unsupported}, a file of a kind not
     * read here ({@link GoExecutable.Unsupported}); {@code dwarfDamage}, the ELF and build info
     * read but the DWARF does not.
     */
    public record Format(String damage, String unsupported, String dwarfDamage) {
        public static final Format INTACT = new Format(null, null, null);
    }

    public static BinaryFacts unreadable(String linkText, String reason) {
        return new BinaryFacts(linkText, reason, ExePath.UNKNOWN, "", 0, Optional.empty(), false, 0, false, Map.of(), 0,
                Format.INTACT);
    }

    /** A file that opened, but as {@code format} says, not as an ELF with Go build info. */
    public static BinaryFacts unread(String linkText, ExePath pathState, Format format) {
        return new BinaryFacts(linkText, null, pathState, "", 0, Optional.empty(), false, 0, false, Map.of(), 0, format);
    }

    /** The cause, in the shared reader's words, when the ELF or its build info did not read; null otherwise. */
    public String damageCause() {
        return format.damage() == null ? null : new GoExecutable.Damaged(format.damage()).cause();
    }

    public boolean readable() {
        return readError == null;
    }

    public boolean isGo() {
        return buildInfo.isPresent();
    }
}
