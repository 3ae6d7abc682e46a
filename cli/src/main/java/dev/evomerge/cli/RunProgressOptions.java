package dev.evomerge.cli;

import dev.evomerge.evolve.llm.LlmExchange;
import picocli.CommandLine.Option;

import java.io.PrintWriter;

/** How {@code evolve} and {@code demo} show a run as it goes; --quiet drops the progress bars and the LLM's notices. */
final class RunProgressOptions {

    @Option(names = "--quiet", description = "No progress bars, and no lines about LLM retries, corrections and fallbacks.")
    boolean quiet;

    /** Whether progress bars are drawn: not with --quiet, and only on a terminal. */
    boolean progressBars() {
        return ProgressBar.enabledFor(quiet);
    }

    /** Counts the exchange's tokens in {@code tally} and prints its notice on {@code err}, unless --quiet. */
    void llmExchange(LlmTally tally, LlmExchange x, PrintWriter err) {
        String line = tally.notice(x);
        if (line != null && !quiet) {
            err.println("evomerge: llm: " + line);
            err.flush();
        }
    }
}
