package dev.attachproof.cli;

import dev.attachproof.buildinfo.GoBuildInfo;
import dev.attachproof.buildinfo.GoExecutable;
import dev.attachproof.delve.Compat;
import dev.attachproof.delve.DelveBinary;
import dev.attachproof.delve.DelveLocator;
import dev.attachproof.delve.DelveTable;
import dev.attachproof.delve.GoVersion;
import dev.attachproof.diagnose.checks.TargetState;
import dev.attachproof.dwarf.Dwarf;
import dev.attachproof.elf.ElfFile;
import dev.attachproof.elf.ElfFormatException;
import dev.attachproof.golang.RuntimeLayouts;
import dev.attachproof.host.Programs;
import dev.attachproof.procfs.ProcFs;
import dev.attachproof.procfs.ProcStat;
import dev.attachproof.report.CompatJson;
import dev.attachproof.report.Style;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code compat PID|BINARY}: does this Delve support the target's Go version? */
@Command(name = "compat", mixinStandardHelpOptions = true,
        description = {"The target's Go version against a Delve binary's supported Go range, and the local go toolchain.",
            "Exit status: 0 supported, 1 not supported (a binary without DWARF is never: no Delve opens it) or unknown, 2 bad input."})
final class CompatCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "PID|BINARY", description = "A running Go process, or a Go executable.")
    String target;

    @Mixin
    DelveOptions delve;

    @Option(names = "--json", description = "Print JSON (schema attachproof.compat/v1).")
    boolean json;

    @Override
    public Integer call() {
        Path exe = executable(target);
        GoBuildInfo info;
        CompatJson.Target facts;
        try {
            // The reader doctor and goroutines use, so that all three name one cause.
            GoExecutable.Go go = switch (GoExecutable.open(exe)) {
                case GoExecutable.Go g -> g;
                case GoExecutable.NotGo n -> throw new BadInputException(target + " is not a Go program (no Go build info in " + exe + ")");
                case GoExecutable.Damaged d -> throw new BadInputException(exe + ": " + d.cause() + "; " + GoExecutable.DAMAGED_REMEDY);
                case GoExecutable.Unsupported u -> throw new BadInputException(target + " is " + u.cause());
            };
            info = go.info();
            facts = targetFacts(go.elf(), info, exe);
        } catch (NoSuchFileException e) {
            throw new BadInputException("no such file: " + exe);
        } catch (ElfFile.NotRegularFileException e) {
            throw new BadInputException(e.getMessage() + ": compat reads a Go executable, or the pid of a Go process");
        } catch (IOException e) {
            throw new BadInputException("cannot read " + exe + ": " + e.getMessage());
        }
        DelveLocator.Search search = delve.search();
        Compat c = evaluate(info, facts.debugInfo(), facts.dwarfVersion(), search);
        System.out.print(json ? CompatJson.write(c, facts, search) : CompatJson.text(c, facts, search, Style.forConsole()));
        return Boolean.TRUE.equals(c.supported()) ? ExitCodes.ATTACHABLE : ExitCodes.NOT_ATTACHABLE;
    }

    /** Module, DWARF version and runtime layout of the target binary. */
    private static CompatJson.Target targetFacts(ElfFile elf, GoBuildInfo info, Path exe) throws IOException {
        int dwarfVersion;
        try {
            dwarfVersion = Dwarf.version(elf);
        } catch (ElfFormatException e) {
            throw new BadInputException(exe + ": " + GoExecutable.damagedDwarf(e.getMessage()) + "; " + GoExecutable.DAMAGED_DWARF_REMEDY);
        }
        String layout = null;
        java.util.List<String> layoutNotes = java.util.List.of();
        java.util.Optional<GoVersion> v = GoVersion.parse(info.goVersion());
        if (v.isPresent()) {
            RuntimeLayouts.Resolution r = RuntimeLayouts.resolve(elf, v.get().major(), v.get().minor());
            layout = r.source();
            layoutNotes = r.layout().isPresent() ? r.disagreements() : java.util.List.of(r.problem());
        }
        return new CompatJson.Target(info.path(), info.mainModule(), elf.arch(), elf.hasDwarf(), dwarfVersion, layout, layoutNotes);
    }

    /** The verdict for the Delve named or found; a named one that is not a Delve is bad input, a found one a note. */
    static Compat evaluate(GoBuildInfo info, boolean debugInfo, int dwarfVersion, DelveLocator.Search search) {
        DelveBinary.Result delve = search.found() == null
                ? new DelveBinary.Result(null, "no dlv found; looked in: " + String.join("; ", search.looked()))
                : DelveBinary.identify(search.found().path());
        if (search.named() && delve.delve() == null) {
            throw new BadInputException("--dlv " + search.found().path() + ": " + delve.problem());
        }
        return Compat.evaluate(info.goVersion(), debugInfo, dwarfVersion, delve, DelveTable.load(), goToolchain());
    }

    /** A pid means its /proc/PID/exe; anything else is a path. */
    private static Path executable(String target) {
        if (target.chars().allMatch(Character::isDigit) && !target.isEmpty()) {
            Path exe = Path.of("/proc", target, "exe");
            if (!Files.exists(Path.of("/proc", target))) {
                throw new BadInputException("no process with pid " + target + " is visible here");
            }
            int pid = Integer.parseInt(target);
            ProcFs procfs = ProcFs.live();
            if (procfs.stat(pid).map(ProcStat::kernelThread).orElse(false)) {
                // Its /proc/PID/exe is empty (ENOENT): named as the doctor names it, not "no such file".
                throw new BadInputException(TargetState.kernelThreadRefusal(pid, procfs.comm(pid).orElse("?")));
            }
            return exe;
        }
        return Path.of(target);
    }

    /** `go version` of the go on PATH, with a timeout; null when there is none. */
    private static String goToolchain() {
        Path go = Programs.onPath("go");
        if (go == null) {
            return null;
        }
        try {
            String out = Programs.run(Duration.ofSeconds(10), true, List.of(go.toString(), "version")).output().strip();
            String[] f = out.split(" ");
            return f.length >= 3 ? f[2] : out;
        } catch (Programs.NotRun e) {
            return null;
        }
    }
}
