package dev.attachproof.golang;

import dev.attachproof.dwarf.StructType;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What reading a Go runtime from outside needs to know of one Go release on one architecture:
 * the layouts of the runtime structs ({@link #STRUCTS}), the goroutine status values and the wait
 * reasons, each with its constant name and the words that release prints for it.
 *
 * @param goVersion  "go1.22" for a table entry, or the producer's full version for a binary's DWARF
 * @param arch       "amd64" or "arm64"
 * @param structs    by name ("runtime.g"), each with every member's offset and size
 * @param gStatus    status value → constant and printed word (_Gwaiting, "waiting")
 * @param waitReasons wait reason value → constant and printed words (waitReasonChanReceive, "chan receive")
 */
public record RuntimeLayout(String goVersion, String arch, Map<String, StructType> structs,
                            Map<Integer, Named> gStatus, Map<Integer, Named> waitReasons) {

    /** The structs a snapshot reads, recorded for every Go version (absent ones are skipped). */
    public static final List<String> STRUCTS = List.of("runtime.g", "runtime.m", "runtime.gobuf", "runtime.stack",
            "runtime.moduledata", "runtime._func", "runtime.pcHeader", "runtime.inlinedCall", "runtime.hmap",
            // what a blocked goroutine waits on (WaitReader): its sudogs, the channels, the
            // semaphore table's roots, sync.Cond's list, and the sync values a semaphore lives in
            "runtime.sudog", "runtime.hchan", "runtime.waitq", "runtime.semaRoot", "runtime.notifyList",
            "sync.Mutex", "internal/sync.Mutex", "sync.RWMutex", "sync.WaitGroup", "sync.Cond",
            "runtime._type", "internal/abi.Type", "runtime.semTable");

    /**
     * Not a struct: runtime.semtable's size in bytes, a {@code [251]struct{root semaRoot; pad
     * [cpu.CacheLinePadSize - unsafe.Sizeof(semaRoot{})]byte}} (runtime/sema.go), taken from the
     * symbol's size in the binary the table is made from: a stripped binary has neither, and
     * the pad changes across releases on arm64.
     */
    public static final String SEM_TABLE = STRUCTS.getLast();

    /**
     * The structs a binary's DWARF has only when its program uses them: a binary whose DWARF
     * lacks one takes the table's, and that is no disagreement.
     */
    public static final java.util.Set<String> USED_BY_PROGRAM = java.util.Set.of("sync.Mutex", "internal/sync.Mutex",
            "sync.RWMutex", "sync.WaitGroup", "sync.Cond", SEM_TABLE);

    /** A constant's name and the string the runtime prints for its value. */
    public record Named(String constant, String text) {}

    /** Offset of {@code member} in {@code struct} ("runtime.g", "goid"). */
    public OptionalLong offset(String struct, String member) {
        return member(struct, member).map(m -> OptionalLong.of(m.offset())).orElse(OptionalLong.empty());
    }

    public Optional<StructType.Member> member(String struct, String member) {
        StructType t = structs.get(struct);
        return t == null ? Optional.empty() : t.member(member);
    }

    /** The word Go's traceback prints for status {@code value}, the scan bit (0x1000) masked; "???" when unknown, as Go prints it. */
    public String statusText(int value) {
        Named n = gStatus.get(value & ~0x1000);
        return n == null ? "???" : n.text();
    }

    /** The wait reason words for {@code value}; empty when this release has no such value. */
    public Optional<String> waitReasonText(int value) {
        return Optional.ofNullable(waitReasons.get(value)).map(Named::text);
    }
}
