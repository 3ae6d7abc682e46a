package dev.evomerge.cli;

import dev.evomerge.evolve.ObjectiveOptions;
import picocli.CommandLine.Option;

import java.util.Arrays;
import java.util.List;

/** {@code evolve}'s options of a multi-objective run; {@link #options()} builds them. */
final class ObjectiveCliOptions {

    @Option(names = "--objectives", paramLabel = "OBJECTIVES", description = "Evolve a Pareto front instead of the"
            + " weighted sum: objectives separated by spaces, each a task of the genome file (its metric), task/metric,"
            + " or params (the merged model's parameter count, minimised); e.g. \"task_a task_b/acc_norm,none params\"."
            + " May be repeated. Default: the genome file's objectives: list, else the weighted sum.")
    List<String> objectives;
    @Option(names = "--llm-means", paramLabel = "K", description = "llm with --objectives: mean genomes proposed per"
            + " generation; the population is split among them (default: " + ObjectiveOptions.LLM_MEANS + ").")
    Integer llmMeans;

    ObjectiveOptions options() {
        List<String> specs = objectives == null ? null : objectives.stream()
                .flatMap(v -> Arrays.stream(v.strip().split("\\s+"))).filter(v -> !v.isEmpty()).toList();
        return new ObjectiveOptions(specs, llmMeans);
    }
}
