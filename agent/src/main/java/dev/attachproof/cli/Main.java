package dev.attachproof.cli;

import dev.attachproof.report.Style;
import dev.attachproof.service.TargetException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.util.List;

/** {@code attachproof}: can a debugger attach to this Go process, and if not, exactly why. */
@Command(name = "attachproof", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Can a debugger attach to this Go process from here? If not, exactly why — proven by attaching for microseconds.")
public final class Main {

    /** The subcommands, in the order the help lists them. */
    private static final List<Class<?>> SUBCOMMANDS = List.of(DoctorCommand.class, GoroutinesCommand.class,
            CompatCommand.class, MatrixCommand.class, PsCommand.class, ServeCommand.class, DemoCommand.class,
            RestrictedCommand.class, ProbeCommand.class, CaptureCommand.class, DapCommand.class, VscodeCommand.class,
            TrainCommand.class);

    @Option(names = "--debug", scope = CommandLine.ScopeType.INHERIT, description = "Show stack traces of internal errors.")
    boolean debug;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs a command line and returns its exit code (tests call this). */
    public static int run(String... args) {
        return commandLine(args).execute(args);
    }

    /**
     * The command line for {@code args}: when they name a subcommand, only that one is built.
     * picocli reads every option of every command it is given, by reflection; all thirteen took
     * about 100 ms of every command's start (a goroutine dump of a 100,000-goroutine target
     * takes 0.8 s in all). Help, a version request and a mistyped name get them all.
     */
    static CommandLine commandLine(String... args) {
        CommandLine cl = new CommandLine(new Main());
        String named = subcommandNamed(args);
        for (Class<?> c : SUBCOMMANDS) {
            if (named == null || c.getAnnotation(Command.class).name().equals(named)) {
                cl.addSubcommand(c);
            }
        }
        cl.setExecutionExceptionHandler(Main::handle);
        cl.setParameterExceptionHandler(Main::handleUsage);
        return cl;
    }

    /** The subcommand {@code args} name, when their first word past the top-level options names one; else null. */
    private static String subcommandNamed(String[] args) {
        for (String a : args) {
            if (a.equals("--debug")) {
                continue;   // the one top-level option a subcommand may follow
            }
            for (Class<?> c : SUBCOMMANDS) {
                if (c.getAnnotation(Command.class).name().equals(a)) {
                    return a;
                }
            }
            return null;
        }
        return null;
    }

    private static int handle(Exception e, CommandLine cl, CommandLine.ParseResult parsed) {
        PrintWriter err = cl.getErr();
        if (e instanceof BadInputException || e instanceof TargetException) {
            // One line, whatever names the message quotes (a path, a process name): escaped.
            err.println("attachproof: " + Style.escape(String.valueOf(e.getMessage())));
            err.flush();
            return ExitCodes.BAD_INPUT;
        }
        boolean debug = parsed.hasMatchedOption("--debug")
                || parsed.subcommands().stream().anyMatch(p -> p.hasMatchedOption("--debug"));
        err.println("attachproof: internal error: " + Style.escape(e.toString()) + (debug ? "" : " (run with --debug for details)"));
        if (debug) {
            e.printStackTrace(err);
        }
        err.flush();
        return ExitCodes.INTERNAL_ERROR;
    }

    private static int handleUsage(CommandLine.ParameterException e, String[] args) {
        CommandLine cl = e.getCommandLine();
        cl.getErr().println("attachproof: " + Style.escape(String.valueOf(e.getMessage())));
        cl.getErr().println("Try '" + cl.getCommandSpec().qualifiedName() + " --help'.");
        cl.getErr().flush();
        return ExitCodes.BAD_INPUT;
    }

    static final class Version implements CommandLine.IVersionProvider {
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"attachproof " + (v == null ? "dev" : v) + " (Java " + Runtime.version() + ")"};
        }
    }
}
