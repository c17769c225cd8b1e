package dev.attachproof.cli;

import dev.attachproof.buildinfo.GoBuildInfo;
import dev.attachproof.delve.DelveBinary;
import dev.attachproof.delve.DelveLocator;
import dev.attachproof.diagnose.Diagnosis;
import dev.attachproof.diagnose.FactsReader;
import dev.attachproof.diagnose.Finding;
import dev.attachproof.diagnose.Status;
import dev.attachproof.elf.ElfFile;
import dev.attachproof.host.Programs;
import dev.attachproof.pclntab.Pclntab;
import dev.attachproof.ptrace.StopMode;
import dev.attachproof.report.VscodeJson;
import dev.attachproof.report.VscodeText;
import dev.attachproof.service.Engine;
import dev.attachproof.vscode.DelveBeside;
import dev.attachproof.vscode.LaunchAdvice;
import dev.attachproof.vscode.LocalGo;
import dev.attachproof.vscode.SourceMap;
import dev.attachproof.vscode.TargetPlace;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/** {@code vscode PID|--container ID [--workspace DIR]}: the launch.json entry that will attach from here, with substitutePath from the binary's own paths. */
@Command(name = "vscode", mixinStandardHelpOptions = true,
        description = {"Prints the VS Code launch.json configuration that attaches to PID from here: local when this host can "
            + "attach (proved), remote to a headless Delve beside the target when it runs in a container (with the command "
            + "that starts it), and substitutePath computed from the binary's own source paths against --workspace.",
            "The text output is JSON with comments, ready to paste into launch.json's \"configurations\".",
            "Exit status: 0 the configuration works as printed, 1 it will not yet (the doctor's failing checks say why), "
                + "2 bad input, 3 internal error."})
final class VscodeCommand implements Callable<Integer> {

    @Mixin
    TargetOptions targetOptions;

    /** --workspace DIR: the folder open in VS Code (its settings name the Delve; its files are matched with the binary's). */
    @Mixin
    DelveOptions delveOptions;

    @Option(names = "--mode", paramLabel = "local|remote",
            description = "The attach to configure (default: remote when the target runs in another mount namespace, e.g. a container; else local).")
    String mode;

    @Option(names = "--port", paramLabel = "PORT", defaultValue = "2345",
            description = "The port a remote Delve listens on and VS Code connects to (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--json", description = "Print JSON (schema attachproof.vscode/v1).")
    boolean json;

    @Override
    public Integer call() {
        if (mode != null && !mode.equals(LaunchAdvice.LOCAL) && !mode.equals(LaunchAdvice.REMOTE)) {
            throw new BadInputException("--mode " + mode + ": give local or remote");
        }
        if (port < 1 || port > 65535) {
            throw new BadInputException("--port " + port + ": not a TCP port (1-65535)");
        }
        DelveLocator.Search search = delveOptions.search();
        FactsReader facts = Engine.facts();
        int target = targetOptions.resolve(facts, json).pid();
        TargetPlace place = TargetPlace.of(facts.procfs(), target);
        String chosen = LaunchAdvice.chooseMode(Optional.ofNullable(mode), place);
        boolean local = chosen.equals(LaunchAdvice.LOCAL);
        // The proof only where it decides: a local attach is this host's; a remote one is the sidecar's.
        Diagnosis d = Engine.diagnoseGo(facts, Engine.doctor(facts, search, StopMode.LEADER), target, local);
        List<Finding> checks = d.findings().stream().filter(f -> local && f.status() == Status.FAIL
                || f.status() == Status.WARN && DapCommand.DEBUG_SESSION_CHECKS.contains(f.id())).toList();
        Optional<Path> workspace = Optional.ofNullable(delveOptions.workspace).map(w -> w.toAbsolutePath().normalize());
        Path exe = facts.procfs().path("proc/" + target + "/exe");
        SourceMap.Result sources = sources(exe, workspace);
        DelveBeside.Start start = null;
        if (!local) {
            Path dlv = search.found() == null ? null : search.found().path().toAbsolutePath();
            start = DelveBeside.of(place, port, dlv == null ? null : dlv.toString(), dlv != null && isStatic(dlv),
                    "docker".equals(place.runtime()) ? dockerImage(place.containerId()) : null);
        }
        LaunchAdvice advice = LaunchAdvice.of(chosen, facts.procfs().comm(target).orElse("pid " + target), d, checks, place, port,
                start, sources, workspace);
        DelveBinary dlv = search.found() == null ? null : DelveBinary.identify(search.found().path()).delve();
        System.out.print(json ? VscodeJson.write(advice, dlv, search) : VscodeText.write(advice, dlv, search));
        return advice.works() ? ExitCodes.ATTACHABLE : ExitCodes.NOT_ATTACHABLE;
    }

    /** The rules from the binary's pclntab and build info; none, with the reason as a note, when they cannot be read. */
    private static SourceMap.Result sources(Path exe, Optional<Path> workspace) {
        try {
            ElfFile elf = ElfFile.open(exe);
            Optional<GoBuildInfo> info = GoBuildInfo.read(elf);
            List<String> files = Pclntab.of(elf).fileNames();
            SourceMap.BinarySources binary = new SourceMap.BinarySources(files, info.map(i -> i.goVersion().split(" ")[0]).orElse(null),
                    elf.arch(), info.map(GoBuildInfo::mainModule).orElse(null), info.map(GoBuildInfo::deps).orElse(List.of()));
            return SourceMap.compute(binary, workspace, LocalGo.live());
        } catch (IOException e) {   // an ElfFormatException too: a hostile or truncated binary
            return new SourceMap.Result(List.of(), List.of("the binary's source paths cannot be read (" + e.getMessage()
                    + "): no substitutePath"));
        }
    }

    /** Whether {@code dlv} has no program interpreter (PT_INTERP): static, so it runs on any image. */
    private static boolean isStatic(Path dlv) {
        try {
            return ElfFile.open(dlv).segments().stream().noneMatch(s -> s.type() == ElfFile.PT_INTERP);
        } catch (IOException e) {
            return false;
        }
    }

    /** The container's image by `docker inspect`, within 5 s; null when there is no docker here that knows it. */
    private static String dockerImage(String containerId) {
        Path docker = Programs.onPath("docker");
        if (docker == null) {
            return null;
        }
        try {
            Programs.Ran r = Programs.run(Duration.ofSeconds(5), docker.toString(), "inspect", "--format", "{{.Config.Image}}", containerId);
            return r.ok() && !r.output().isBlank() ? r.output().strip() : null;
        } catch (Programs.NotRun e) {
            return null;
        }
    }
}
