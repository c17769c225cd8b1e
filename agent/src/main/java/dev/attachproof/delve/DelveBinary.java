package dev.attachproof.delve;

import dev.attachproof.buildinfo.GoBuildInfo;
import dev.attachproof.elf.ElfFile;
import dev.attachproof.host.Programs;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which Delve a dlv binary is. Its build info names the module version when it was built with
 * `go install …@vX`; distributions' builds often leave "(devel)" or no module line, and then
 * `dlv version` is asked, with a timeout.
 */
public record DelveBinary(Path path, String version, String source, String builtWith, String[] symbolRange) {
    private static final String GOVERSION_PKG = "github.com/go-delve/delve/pkg/goversion.";
    private static final List<String> RANGE_SYMBOLS = List.of(GOVERSION_PKG + "MinSupportedVersionOfGoMajor",
            GOVERSION_PKG + "MinSupportedVersionOfGoMinor", GOVERSION_PKG + "MaxSupportedVersionOfGoMajor",
            GOVERSION_PKG + "MaxSupportedVersionOfGoMinor");
    private static final Pattern MODULE = Pattern.compile("^github\\.com/go-delve/delve v(\\d+\\.\\d+\\.\\d+)");
    private static final Pattern VERSION_LINE = Pattern.compile("(?m)^Version: (\\d+\\.\\d+\\.\\d+)");

    /** Identifies the dlv at {@code path}; empty with a reason when it cannot. */
    public static Result identify(Path path) {
        Optional<GoBuildInfo> info;
        String[] range;
        try {
            ElfFile elf = ElfFile.open(path);
            info = GoBuildInfo.read(elf);
            range = symbolRange(elf);
        } catch (IOException e) {
            return new Result(null, "cannot read " + path + ": " + e.getMessage());
        }
        if (info.isEmpty()) {
            return new Result(null, path + " is not a Go binary, so not Delve");
        }
        String builtWith = info.get().goVersion();
        Matcher m = MODULE.matcher(info.get().mainModule());
        if (m.find()) {
            return new Result(new DelveBinary(path, m.group(1), "build info", builtWith, range), null);
        }
        if (!info.get().path().startsWith("github.com/go-delve/delve")) {
            return new Result(null, path + " is not Delve (its main package is " + info.get().path() + ")");
        }
        return askDlvVersion(path, builtWith, range);
    }

    /**
     * The supported range compiled into this dlv: its goversion.Min/MaxSupportedVersionOfGo*
     * variables, read from the file's data through .symtab ("1.22", "1.25"); null when the binary
     * is stripped (Debian's is) or the values are not in the file.
     */
    static String[] symbolRange(ElfFile elf) throws IOException {
        Map<String, ElfFile.Symbol> syms = elf.symbols(RANGE_SYMBOLS);
        long[] v = new long[RANGE_SYMBOLS.size()];
        for (int i = 0; i < v.length; i++) {
            ElfFile.Symbol s = syms.get(RANGE_SYMBOLS.get(i));
            if (s == null) {
                return null;
            }
            Optional<java.nio.ByteBuffer> word = elf.readVirtual(s.value(), 8);
            if (word.isEmpty()) {
                return null;
            }
            v[i] = word.get().getLong(0);
            if (v[i] < 0 || v[i] > 1000) {
                return null;
            }
        }
        return new String[] {v[0] + "." + v[1], v[2] + "." + v[3]};
    }

    private static Result askDlvVersion(Path path, String builtWith, String[] range) {
        try {
            Matcher m = VERSION_LINE.matcher(Programs.run(Duration.ofSeconds(5), true, List.of(path.toString(), "version")).output());
            return m.find() ? new Result(new DelveBinary(path, m.group(1), "dlv version", builtWith, range), null)
                    : new Result(null, "`" + path + " version` printed no version");
        } catch (Programs.NotRun e) {
            return new Result(null, e.getMessage());
        }
    }

    /** A Delve binary identified, or why not. */
    public record Result(DelveBinary delve, String problem) {}
}
