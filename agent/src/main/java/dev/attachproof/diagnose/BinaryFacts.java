package dev.attachproof.diagnose;

import dev.attachproof.buildinfo.GoBuildInfo;

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
 */
public record BinaryFacts(String linkText, String readError, ExePath pathState, String arch, int elfType,
                          Optional<GoBuildInfo> buildInfo, boolean hasDwarf, int dwarfVersion, boolean hasSymtab,
                          Map<String, Long> symbols, long loadBias) {

    public static BinaryFacts unreadable(String linkText, String reason) {
        return new BinaryFacts(linkText, reason, ExePath.UNKNOWN, "", 0, Optional.empty(), false, 0, false, Map.of(), 0);
    }

    public boolean readable() {
        return readError == null;
    }

    public boolean isGo() {
        return buildInfo.isPresent();
    }
}
