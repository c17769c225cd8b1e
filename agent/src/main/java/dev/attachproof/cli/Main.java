package dev.attachproof.cli;

import dev.attachproof.report.Style;
import dev.attachproof.service.TargetException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;

/** {@code attachproof}: can a debugger attach to this Go process, and if not, exactly why. */
@Command(name = "attachproof", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Can a debugger attach to this Go process from here? If not, exactly why — proven by attaching for microseconds.",
        subcommands = {DoctorCommand.class, GoroutinesCommand.class, CompatCommand.class, MatrixCommand.class, PsCommand.class,
            ServeCommand.class, DemoCommand.class, RestrictedCommand.class, ProbeCommand.class, CaptureCommand.class, DapCommand.class,
            VscodeCommand.class, TrainCommand.class})
public final class Main {

    @Option(names = "--debug", scope = CommandLine.ScopeType.INHERIT, description = "Show stack traces of internal errors.")
    boolean debug;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs a command line and returns its exit code (tests call this). */
    public static int run(String... args) {
        return commandLine().execute(args);
    }

    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler(Main::handle);
        cl.setParameterExceptionHandler(Main::handleUsage);
        return cl;
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
