package dev.evomerge.evolve;

/**
 * How the search runs: the optimizer, how long, its seed and population.
 *
 * @param maxEvaluations      stop once this many candidates were evaluated (null = no limit)
 * @param forcePopulationSize the population of every generation (null = 4 + round(3 ln N) for N genes)
 * @param elitism             put the best genome back into every population
 * @param sigma0              CMA-ES's initial step size (null = 1/6, mergekit-evolve's default)
 */
public record SearchOptions(OptimizerKind optimizer, int maxGeneration, Integer maxEvaluations, long randomSeed,
                            Integer forcePopulationSize, boolean elitism, Double sigma0) {

    /** {@code evolve}'s defaults, which its --help shows. */
    public static final String OPTIMIZER = "llm";
    public static final int MAX_GENERATION = 10;
    public static final long RANDOM_SEED = 0;

    /** A search with the given optimizer, generations and seed, and the defaults of the other options. */
    public static SearchOptions of(OptimizerKind optimizer, int maxGeneration, long randomSeed) {
        return new SearchOptions(optimizer, maxGeneration, null, randomSeed, null, false, null);
    }
}
