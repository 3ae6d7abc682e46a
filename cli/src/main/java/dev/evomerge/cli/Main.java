package dev.evomerge.cli;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.io.Reasons;
import dev.evomerge.evolve.OptimizerKind;
import dev.evomerge.evolve.local.EvaluationBackend;
import dev.evomerge.evolve.local.LocalEvaluator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.List;

/** The evomerge command line: parses argv, runs one subcommand, maps failures to one sentence and an exit code. */
@Command(name = "evomerge",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "Evolutionary merging of large language models: merge, evaluate, evolve.",
        subcommands = {CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    /** Exit status for bad arguments, configuration or input files. */
    public static final int EXIT_USAGE = 2;
    /** Exit status for failures while doing valid work. */
    public static final int EXIT_RUNTIME = 1;

    @Option(names = {"-v", "--verbose"}, scope = CommandLine.ScopeType.INHERIT,
            description = "Print stack traces of failures.")
    boolean verbose;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing subcommand: run 'evomerge --help' for the list.");
    }

    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the CLI with the given streams and returns the exit status (used by tests in-process). */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cli = commandLine();
        cli.setOut(out);
        cli.setErr(err);
        boolean verbose = List.of(args).contains("-v") || List.of(args).contains("--verbose");
        cli.setExecutionExceptionHandler((ex, commandLine, parseResult) -> report(ex, verbose, err));
        cli.setParameterExceptionHandler((ex, args1) -> {
            // a value our own parser refused (e.g. --optimizer) is said in its own sentence
            err.println("evomerge: " + (ex.getCause() instanceof EvomergeException e ? e.getMessage() : ex.getMessage()));
            if (verbose) {
                ex.printStackTrace(err);
            }
            return EXIT_USAGE;
        });
        return cli.execute(args);
    }

    /** The command tree with every registered subcommand. */
    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new Main());
        for (Object sub : Commands.all()) {
            // built by its own CommandLine so that picocli applies its model transformers (options declared from tables)
            cli.addSubcommand(new CommandLine(sub));
        }
        // option values with a fixed set of spellings, each refused with the sentence its parser gives
        cli.registerConverter(OptimizerKind.class, OptimizerKind::parse);
        cli.registerConverter(EvaluationBackend.class, EvaluationBackend::parse);
        cli.registerConverter(LocalEvaluator.Strategy.class, LocalEvaluator.Strategy::parse);
        return cli;
    }

    static int report(Exception ex, boolean verbose, PrintWriter err) {
        Throwable cause = ex;
        if (cause instanceof EvomergeException e) {
            err.println("evomerge: " + e.getMessage());
            if (verbose) {
                e.printStackTrace(err);
            }
            return e.kind() == EvomergeException.Kind.USAGE ? EXIT_USAGE : EXIT_RUNTIME;
        }
        if (cause instanceof UncheckedIOException u) {
            cause = u.getCause();
        }
        // a file exception's message is often the bare path: say what happened to it
        String message = cause instanceof IOException io ? Reasons.of(io)
                : cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        err.println("evomerge: unexpected failure: " + message + (verbose ? "" : " (run with -v for details)"));
        if (verbose) {
            cause.printStackTrace(err);
        }
        return EXIT_RUNTIME;
    }

    /** Reads the version from the jar manifest; falls back to "dev" when run from classes. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"evomerge " + (v == null ? "dev" : v),
                    "Java " + Runtime.version() + " (" + System.getProperty("java.vm.name") + ")"};
        }
    }
}
