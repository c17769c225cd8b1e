package dev.attachproof.golang;

import dev.attachproof.dwarf.StructType;
import dev.attachproof.elf.ElfFile;
import dev.attachproof.elf.ElfFormatException;
import dev.attachproof.pclntab.Pclntab;

import java.util.List;
import java.util.Optional;

/**
 * What the target's Go release decides about reading its goroutines, answered once per binary:
 * the struct layouts (the binary's DWARF, else the committed table), the pclntab (its format and
 * funcID numbering read from the table itself), how its traceback shortens a deep stack, whether
 * its headers carry pprof labels, how deep its goroutine profile records. Like py-spy's one
 * dispatch on the interpreter version, code asks this object instead of comparing releases.
 * <p>
 * What the binary tells is taken from it; the release decides only what nothing in the binary
 * says (a runtime function's behaviour is not in its layout). A development build
 * ({@code major < 0}) is taken as the newest release, as Go's tip is.
 */
public final class GoRuntime {
    /** Go's default profstackdepth (runtime/runtime1.go) and its ceiling, maxProfStackDepth (mprof.go). */
    private static final int PROFSTACKDEPTH_DEFAULT = 128;
    private static final int PROFSTACKDEPTH_MAX = 1024;
    /** len(StackRecord.Stack0): what saveg recorded before Go 1.23 made the depth a setting. */
    private static final int STACK0_DEPTH = 32;

    private final ElfFile elf;
    private final int major;
    private final int minor;
    private final Pclntab tab;
    /** Resolved on first use: a DWARF scan that a caller content with the table never pays. */
    private RuntimeLayouts.Resolution layouts;

    private GoRuntime(ElfFile elf, int major, int minor, Pclntab tab) {
        this.elf = elf;
        this.major = major;
        this.minor = minor;
        this.tab = tab;
    }

    /**
     * The runtime of {@code elf}, a Go binary of release {@code major.minor} (-1, -1: a
     * development build, whose layout only its own DWARF can give).
     */
    public static GoRuntime of(ElfFile elf, int major, int minor) throws ElfFormatException {
        return new GoRuntime(elf, major, minor, Pclntab.of(elf));
    }

    /**
     * The runtime of {@code elf} as {@link #of(ElfFile, int, int)} gives it, its layouts
     * resolved at once, for a reader that needs them: the pclntab reader takes
     * runtime.moduledata from the same DWARF scan instead of scanning again (tens of
     * milliseconds on a large binary).
     */
    public static GoRuntime withLayouts(ElfFile elf, int major, int minor) throws ElfFormatException {
        RuntimeLayouts.Resolution layouts = resolveLayouts(elf, major, minor);
        Optional<StructType> moduledata = layouts.source().equals("dwarf")
                ? layouts.layout().map(l -> l.structs().get("runtime.moduledata")) : Optional.empty();
        Pclntab tab = moduledata.isPresent() ? Pclntab.of(elf, moduledata.get()) : Pclntab.of(elf);
        return of(elf, major, minor, tab, layouts);
    }

    /**
     * The runtime of {@code elf} with its table and layouts already known: what an earlier read
     * of the same file found ({@link BinaryFindings}), so no DWARF is scanned again.
     */
    public static GoRuntime of(ElfFile elf, int major, int minor, Pclntab tab, RuntimeLayouts.Resolution layouts) {
        GoRuntime r = new GoRuntime(elf, major, minor, tab);
        r.layouts = layouts;
        return r;
    }

    public Pclntab pclntab() {
        return tab;
    }

    /**
     * The struct layouts, where they came from, or why there are none: the binary's DWARF first,
     * checked against the release's table ({@link RuntimeLayouts#resolve}). A development build
     * has no table entry: only its own DWARF describes it.
     */
    public synchronized RuntimeLayouts.Resolution layouts() {
        if (layouts == null) {
            layouts = resolveLayouts(elf, major, minor);
        }
        return layouts;
    }

    private static RuntimeLayouts.Resolution resolveLayouts(ElfFile elf, int major, int minor) {
        boolean release = major >= 0;
        try {
            return release ? RuntimeLayouts.resolve(elf, major, minor)
                    : new RuntimeLayouts.Resolution(RuntimeLayouts.fromDwarf(elf), "dwarf", List.of(),
                            "a development build of Go without DWARF");
        } catch (ElfFormatException e) {
            return new RuntimeLayouts.Resolution(Optional.empty(), "none", List.of(),
                    "its DWARF is damaged (" + e.getMessage() + ") and " + (release ? "its release's table did not serve"
                            : "a development build of Go has no table entry"));
        }
    }

    /**
     * The layouts for a reader of a few fields that need not scan the DWARF: the committed
     * table's entry for the release where it has one (LayoutDriftTest holds it to that release's
     * DWARF; the scan costs tens of milliseconds on a large binary), else {@link #layouts}.
     */
    public RuntimeLayouts.Resolution tableFirstLayouts() {
        Optional<RuntimeLayout> table = isRelease() ? LayoutTable.lookup(major, minor, elf.arch()) : Optional.empty();
        return table.isPresent()
                ? new RuntimeLayouts.Resolution(table, RuntimeLayouts.tableName(major, minor, elf.arch()), List.of(), "")
                : layouts();
    }

    /**
     * How the traceback shortens a deep stack: Go 1.21 rewrote runtime/traceback.go around the
     * unwinder, printing the innermost and outermost 50 frames instead of the first 100 physical
     * ones. The binary's layout does not show the rewrite, so the release decides.
     */
    public Traceback.Elision elision() {
        return atLeast(21) ? Traceback.Elision.INNER_AND_OUTER_50 : Traceback.Elision.FIRST_100_FRAMES;
    }

    /**
     * Whether the goroutine headers carry pprof labels: Go 1.26 prints them
     * (runtime/traceback.go, goroutineheader) when GODEBUG tracebacklabels=1, from the binary's
     * default or the process's environment. Earlier releases have no such setting.
     *
     * @param binaryGodebug the build info's DefaultGODEBUG (null when none)
     * @param environGodebug the process's GODEBUG ({@link GoDebug#fromEnviron})
     */
    public boolean labelsInHeader(String binaryGodebug, String environGodebug) {
        return atLeast(26) && GoDebug.setting(binaryGodebug, environGodebug, "tracebacklabels").orElse(0) == 1;
    }

    /**
     * The most frames the goroutine profile records of one stack (runtime/mprof.go saveg): 32
     * before Go 1.23 (StackRecord.Stack0), from 1.23 GODEBUG profstackdepth (runtime1.go:
     * default 128, at most 1,024).
     */
    public int profileStackDepth(String binaryGodebug, String environGodebug) {
        if (!atLeast(23)) {
            return STACK0_DEPTH;
        }
        return Math.max(0, Math.min(PROFSTACKDEPTH_MAX, GoDebug.setting(binaryGodebug, environGodebug, "profstackdepth")
                .orElse(PROFSTACKDEPTH_DEFAULT)));
    }

    /** A release the build info names, not a development build ({@link #resolveLayouts} says it too). */
    private boolean isRelease() {
        return major >= 0;
    }

    /** Release 1.{@code want} or later (a development build and Go 2 count as later). */
    private boolean atLeast(int want) {
        return major < 0 || major > 1 || minor >= want;
    }
}
