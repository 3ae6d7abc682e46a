package dev.evomerge.cli;

import dev.evomerge.evolve.OptimizerKind;
import dev.evomerge.evolve.SearchOptions;
import picocli.CommandLine.Option;

/** {@code evolve}'s options of the search: optimizer, length, seed and population; {@link #options()} builds them. */
final class SearchCliOptions {

    @Option(names = "--optimizer", defaultValue = SearchOptions.OPTIMIZER, description = "llm (default), cmaes, random, or nsga2 (with --objectives).")
    OptimizerKind optimizer;
    @Option(names = "--max-generation", defaultValue = "" + SearchOptions.MAX_GENERATION, description = "Generations after the initial population (default: ${DEFAULT-VALUE}).")
    int maxGeneration;
    @Option(names = {"--max-evaluations", "--max-fevals"}, description = "Stop once this many candidates have been evaluated.")
    Integer maxEvaluations;
    @Option(names = "--random-seed", defaultValue = "" + SearchOptions.RANDOM_SEED, description = "Seed of every random draw (default: ${DEFAULT-VALUE}).")
    long randomSeed;
    @Option(names = "--force-population-size", description = "Population size of every generation (default 4 + round(3 ln N)).")
    Integer forcePopulationSize;
    @Option(names = "--elitism", description = "Put the best genome back into every population.")
    boolean elitism;
    @Option(names = "--sigma0", description = "cmaes: initial step size on the [0, 1] genes (default 1/6).")
    Double sigma0;

    SearchOptions options() {
        return new SearchOptions(optimizer, maxGeneration, maxEvaluations, randomSeed, forcePopulationSize, elitism, sigma0);
    }
}
