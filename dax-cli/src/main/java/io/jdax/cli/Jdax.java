package io.jdax.cli;

import io.jdax.dax.DaxException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;

/**
 * The {@code jdax} command. Exit codes: 0 success, 1 failure (one line on stderr; the stack trace
 * with {@code --verbose}), 2 bad usage.
 */
@Command(name = "jdax", mixinStandardHelpOptions = true, versionProvider = Jdax.Version.class,
        description = "Persistent memory for the JVM: inspect devices, benchmark persistence paths, test drivers.",
        subcommands = {InfoCommand.class, CommandLine.HelpCommand.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:success", "1:failure (the reason is printed on stderr)", "2:bad usage"})
public final class Jdax {

    /** Exit code of a failed command. */
    public static final int EXIT_FAILURE = 1;

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
        cl.setOut(out);
        cl.setErr(err);
        cl.setExecutionExceptionHandler((ex, line, parsed) -> {
            if (root.verbose) {
                ex.printStackTrace(err);
            }
            String msg = ex instanceof DaxException ? ex.getMessage() : ex.toString();
            err.println("jdax " + String.join(" ", parsed.originalArgs()) + ": " + msg);
            err.flush();
            return EXIT_FAILURE;
        });
        return cl.execute(args);
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
