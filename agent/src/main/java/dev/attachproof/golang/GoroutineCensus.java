package dev.attachproof.golang;

import dev.attachproof.elf.ElfFile;
import dev.attachproof.elf.ElfFormatException;
import dev.attachproof.memory.CopyBuffers;
import dev.attachproof.memory.MemoryReader;
import dev.attachproof.pclntab.Pclntab;

import java.util.Optional;

/**
 * How many goroutines a live Go process has, counted as Go's own dump counts them. {@code
 * runtime.allglen} is not that number: allgs keeps every g ever made, and a goroutine that
 * exits stays there as _Gdead, kept for reuse (runtime/proc.go, gfput: "Put on gfree list"),
 * and the runtime's own goroutines (forcegc, bgsweep, bgscavenge, the finalizer, GC workers)
 * are in it too. Go's tracebackothers (runtime/traceback.go) skips both: it prints a g only
 * when its status is not _Gdead (nor, from Go 1.26, _Gdeadextra: {@link GoroutineReader.Copied#dead})
 * and isSystemGoroutine(gp, false) is false. This counts the
 * same three groups from the same list the goroutines command reads, found the same way (symbols,
 * DWARF, or runtime.allgadd's code in a stripped binary).
 *
 * <p>Prepared from the binary before the target stops; {@link #list} and {@link #copy} read its
 * memory; {@link #count} classifies the copies after it runs again.
 */
public final class GoroutineCensus {
    private final GoroutineList list;
    private final GoroutineReader reader;
    private final Pclntab tab;
    private final String layoutSource;

    private GoroutineCensus(GoroutineList list, GoroutineReader reader, Pclntab tab, String layoutSource) {
        this.list = list;
        this.reader = reader;
        this.tab = tab;
        this.layoutSource = layoutSource;
    }

    /**
     * The counts: {@code shown} is what Go's dump prints (runtime.Stack(all), SIGQUIT, the
     * goroutines command), {@code system} the runtime's own, {@code dead} the exited gs kept for
     * reuse (and Go 1.26's extra-M gs); their sum is allgs' length.
     *
     * @param listMethod how runtime.allgs was found ({@link GoroutineList#method()})
     */
    public record Count(long shown, long system, long dead, String listMethod, String layoutSource) {
        /** What {@link #shown} counts, in words for the proof's text and JSON. */
        public static final String COUNTED = "live goroutines as Go's own dump shows them (not dead, not the runtime's own)";
    }

    /**
     * Ready to count in {@code elf}, whose Go release {@code runtime} answers for; empty with the
     * reason when the goroutine list or the g layout cannot be known. The layout is the
     * runtime's table-first one ({@link GoRuntime#tableFirstLayouts}): only three fields of g are
     * read here, and the doctor is spared a DWARF scan.
     */
    public static Prepared prepare(ElfFile elf, GoRuntime runtime) throws ElfFormatException {
        Pclntab tab = runtime.pclntab();
        Optional<GoroutineList> list = GoroutineList.locate(elf, tab);
        if (list.isEmpty()) {
            return new Prepared(Optional.empty(), "runtime.allgs not found (no symbols, no DWARF, and runtime.allgadd's code did not name it)");
        }
        RuntimeLayouts.Resolution r = runtime.tableFirstLayouts();
        if (r.layout().isEmpty()) {
            return new Prepared(Optional.empty(), r.problem());
        }
        return new Prepared(Optional.of(new GoroutineCensus(list.get(), new GoroutineReader(r.layout().get()), tab, r.source())), null);
    }

    /** A census ready to run, or why there is none. */
    public record Prepared(Optional<GoroutineCensus> census, String problem) {}

    /**
     * Reads allgs' header and allglen at their run-time addresses ({@code bias}: a PIE's load
     * bias), which must agree: allgadd updates both under allglock (runtime/proc.go), so a
     * mismatch means a wrong address.
     */
    public GoroutineReader.AllGs list(MemoryReader mem, long bias) throws MemoryReader.MemoryReadException {
        GoroutineReader.AllGs all = reader.readList(mem, list.allgs() + bias, list.allglen() + bias);
        if (all.length() != all.allglen()) {
            throw new MemoryReader.MemoryReadException(String.format("runtime.allgs holds %d goroutines but runtime.allglen "
                    + "says %d: the goroutine list is not where %s says", all.length(), all.allglen(), list.method()));
        }
        return all;
    }

    /**
     * Copies every g of {@code all} into memory from {@code buffers}, without decoding it (what a
     * stopped window may do).
     */
    public GoroutineReader.Copied copy(MemoryReader mem, GoroutineReader.AllGs all, CopyBuffers buffers)
            throws MemoryReader.MemoryReadException {
        return reader.copyAll(mem, all, buffers);
    }

    /** Counts the copied gs, after the target runs again (the start functions are looked up in pclntab). */
    public Count count(GoroutineReader.Copied gs, long bias) throws ElfFormatException {
        Traceback names = Traceback.forNames(tab, bias);   // isSystem reads pclntab only, never the target
        long shown = 0;
        long system = 0;
        long dead = 0;
        for (int i = 0; i < gs.size(); i++) {
            if (gs.dead(i)) {
                dead++;
            } else if (names.isSystem(gs.decode(i))) {
                system++;
            } else {
                shown++;
            }
        }
        return new Count(shown, system, dead, list.method(), layoutSource);
    }
}
