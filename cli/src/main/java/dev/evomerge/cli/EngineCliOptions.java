package dev.evomerge.cli;

import dev.evomerge.engine.LoadOptions;
import picocli.CommandLine.Option;

import java.io.PrintWriter;

/** How {@code eval} and {@code serve} run a model on the in-JVM engine: its threads, and whether to draw progress bars. */
final class EngineCliOptions {

    @Option(names = "--threads", paramLabel = "N", description = "Engine threads for the forward pass (default: all processors).")
    Integer threads;
    @Option(names = "--quiet", description = "No progress bars.")
    boolean quiet;

    /** Whether progress bars are drawn: not with --quiet, and only on a terminal. */
    boolean progressBars() {
        return ProgressBar.enabledFor(quiet);
    }

    /** {@code base} with a model-loading progress bar on {@code err} and the --threads given (at least 1). */
    LoadOptions load(LoadOptions base, PrintWriter err) {
        LoadOptions load = base.withListener(ProgressBar.modelLoad(err, progressBars()));
        if (threads == null) {
            return load;
        }
        OptionChecks.atLeastOne("--threads", threads);
        return load.withThreads(threads);
    }
}
