package dev.evomerge.evolve;

import java.nio.file.Path;

/**
 * The options of an evolution ({@code evomerge evolve}, {@code evomerge demo}), grouped by what they configure. run.db
 * keeps them as one flat object ({@code StoredOptions}).
 *
 * @param storage             the run's folder: run.db, best_config.yaml, final_model/
 * @param resume              continue the run in {@code storage} from its last completed generation
 * @param saveFinalModel      merge the best recipe into STORAGE/final_model at the end
 * @param allowCrimes         merge models of different architectures (candidates and the final model)
 * @param allowBenchmarkTasks allow public benchmarks as fitness tasks
 * @param fitness             the estimated-fitness options as given on the command line (docs/evolution.md)
 */
public record EvolveOptions(Path genomeFile, Path storage, boolean resume, SearchOptions search, LlmOptions llm,
                            CandidateEvaluationOptions evaluation, boolean saveFinalModel, boolean allowCrimes,
                            boolean allowBenchmarkTasks, dev.evomerge.evolve.fitness.FitnessOptions fitness) {

    public EvolveOptions {
        fitness = fitness == null ? dev.evomerge.evolve.fitness.FitnessOptions.NONE : fitness;
    }

    /** Options without estimated-fitness options given (the genome file's, else whole-task fitness). */
    public EvolveOptions(Path genomeFile, Path storage, boolean resume, SearchOptions search, LlmOptions llm,
                         CandidateEvaluationOptions evaluation, boolean saveFinalModel, boolean allowCrimes,
                         boolean allowBenchmarkTasks) {
        this(genomeFile, storage, resume, search, llm, evaluation, saveFinalModel, allowCrimes, allowBenchmarkTasks,
                null);
    }
}
