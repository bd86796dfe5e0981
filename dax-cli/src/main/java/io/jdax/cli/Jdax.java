package io.jdax.cli;

import io.jdax.dax.DaxException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.io.UncheckedIOException;

/**
 * The {@code jdax} command. Exit codes: 0 success, 1 failure (one line on stderr; the stack trace
 * with {@code --verbose}), 2 bad usage (one line on stderr), 3 a check found a problem (a write
 * that read back wrong, acknowledged data lost, a contract broken), 4 refused: the device holds
 * data and {@code --destroy-data} was not given.
 */
@Command(name = "jdax", mixinStandardHelpOptions = true, versionProvider = Jdax.Version.class,
        description = "Persistent memory for the JVM: inspect devices, benchmark persistence paths, test drivers.",
        subcommands = {InfoCommand.class, BenchCommand.class, CrashtestCommand.class, SelftestCommand.class,
            CommandLine.HelpCommand.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:success", "1:failure (the reason is printed on stderr)", "2:bad usage",
            "3:a check found a problem (see the command's help)", "4:refused: the device holds data"})
public final class Jdax {

    /** Exit code of a failed command. */
    public static final int EXIT_FAILURE = 1;
    /** Exit code of bad usage. */
    public static final int EXIT_USAGE = 2;
    /** Exit code when a command's check found a problem. */
    public static final int EXIT_PROBLEM = 3;
    /** Exit code when a command refused to overwrite a device holding data. */
    public static final int EXIT_REFUSED = 4;

    @Option(names = "--verbose", scope = CommandLine.ScopeType.INHERIT,
            description = "Print stack traces of failures.")
    boolean verbose;

    /** Runs the command line and exits with its code. */
    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the command line with the given streams; returns the exit code. */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        Jdax root = new Jdax();
        CommandLine cl = new CommandLine(root);
        cl.setUsageHelpWidth(120); // the descriptions are written for this width
        cl.getHelpSectionMap().put(CommandLine.Model.UsageMessageSpec.SECTION_KEY_COMMAND_LIST, Jdax::commandList);
        cl.setOut(out);
        cl.setErr(err);
        cl.setExecutionExceptionHandler((ex, line, parsed) -> {
            if (root.verbose) {
                ex.printStackTrace(err);
            }
            err.println(commandName(line) + ": " + describe(ex));
            err.flush();
            return ex instanceof DataGuard.Refused ? EXIT_REFUSED : EXIT_FAILURE;
        });
        cl.setParameterExceptionHandler((ex, args2) -> {
            CommandLine line = ex.getCommandLine();
            err.println(commandName(line) + ": " + ex.getMessage() + " (see " + commandName(line) + " --help)");
            err.flush();
            return EXIT_USAGE;
        });
        return cl.execute(args);
    }

    /**
     * The list of commands, each with the first sentence of its description, whole (picocli's
     * own list shows the first line of the description, cut off where the line ends).
     */
    static String commandList(CommandLine.Help help) {
        java.util.Map<String, String> rows = new java.util.LinkedHashMap<>();
        help.subcommands().forEach((name, sub) -> rows.put(name, summary(sub.commandSpec())));
        return help.createTextTable(rows).toString();
    }

    /** A command's header, or else the first sentence of its description. */
    static String summary(CommandLine.Model.CommandSpec spec) {
        String[] header = spec.usageMessage().header();
        if (header.length > 0 && !header[0].isBlank()) {
            return header[0];
        }
        StringBuilder text = new StringBuilder();
        for (String line : spec.usageMessage().description()) {
            if (line.isBlank()) {
                break; // the first paragraph at most
            }
            text.append(text.isEmpty() ? "" : " ").append(line.strip());
        }
        // A sentence ends with a full stop before a capital letter or at the end ("e.g. the" does not).
        java.util.regex.Matcher end = java.util.regex.Pattern.compile("\\.(?=\\s+[A-Z])").matcher(text);
        return end.find() ? text.substring(0, end.end()) : text.toString();
    }

    /** "jdax bench" for the bench subcommand. */
    private static String commandName(CommandLine line) {
        return line.getCommandSpec().qualifiedName();
    }

    /** One line: the message of the exceptions that carry a sentence, else the exception itself. */
    static String describe(Throwable ex) {
        if (ex instanceof DaxException || ex instanceof DataGuard.Refused
                || (ex instanceof UncheckedIOException && ex.getMessage() != null)) {
            return ex.getMessage();
        }
        return ex.toString();
    }

    /** The version from the jar manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"jdax " + version()};
        }
    }

    static String version() {
        Module m = Jdax.class.getModule();
        String v = m.getDescriptor() != null ? m.getDescriptor().rawVersion().orElse(null)
                : Jdax.class.getPackage().getImplementationVersion();
        return v == null ? "(development build)" : v;
    }
}
