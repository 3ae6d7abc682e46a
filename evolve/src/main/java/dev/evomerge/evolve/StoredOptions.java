package dev.evomerge.evolve;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.evomerge.evolve.local.EvaluationBackend;
import dev.evomerge.evolve.local.LocalEvaluator;
import dev.evomerge.evolve.pool.ServerPoolOptions;

import java.nio.file.Path;
import java.util.List;

/**
 * {@link EvolveOptions} as run.db's options row keeps them: one flat JSON object whose keys are these components'
 * names, with the optimizer, strategy and backend as their option values. Runs stored by every evomerge version read
 * back through this record, so its components keep their names and types; {@link ResumedOptions} compares a resumed
 * run's options one component at a time.
 */
record StoredOptions(Path genomeFile, Path storage, int maxGeneration, double sigmaLow, double sigmaHigh,
                     int maxRetries, String apiKey, String llmModel, String llmBaseUrl, int topK, int llmHistory,
                     boolean elitism, String optimizer, String strategy, boolean inMemory,
                     List<Path> taskSearchPaths, Path dataDir, int batchSize, long randomSeed,
                     Integer forcePopulationSize, boolean saveFinalModel, boolean allowBenchmarkTasks,
                     Integer maxEvaluations, boolean resume, int numWorkers, String backend, String evalServerCmd,
                     int threads, boolean allowCrimes, Double sigma0, Long timeout,
                     int maxFallbacks, Integer llmMaxContextTokens, String llmPricePerMtok,
                     // absent unless given, so a run without an estimated fitness or a server pool stores the row it
                     // always did
                     @JsonInclude(JsonInclude.Include.NON_NULL) String fitnessEstimator,
                     @JsonInclude(JsonInclude.Include.NON_NULL) Integer anchors,
                     @JsonInclude(JsonInclude.Include.NON_NULL) Integer calibrationLimit,
                     @JsonInclude(JsonInclude.Include.NON_NULL) Integer fullEvalTop,
                     @JsonInclude(JsonInclude.Include.NON_NULL) Integer recalibrateEvery,
                     @JsonInclude(JsonInclude.Include.NON_EMPTY) List<String> evalServer,
                     @JsonInclude(JsonInclude.Include.NON_NULL) String evalServerReload,
                     @JsonInclude(JsonInclude.Include.NON_NULL) Path scratchDir) {

    StoredOptions {
        taskSearchPaths = List.copyOf(taskSearchPaths);
        // rows of runs stored before the server pool existed have none of its three keys
        evalServer = evalServer == null ? List.of() : List.copyOf(evalServer);
    }

    static StoredOptions of(EvolveOptions o) {
        SearchOptions s = o.search();
        LlmOptions l = o.llm();
        CandidateEvaluationOptions e = o.evaluation();
        return new StoredOptions(o.genomeFile(), o.storage(), s.maxGeneration(), l.sigmaLow(), l.sigmaHigh(),
                l.maxRetries(), l.apiKey(), l.model(), l.baseUrl(), l.topK(), l.history(), s.elitism(),
                s.optimizer().text(), e.strategy().text(), e.inMemory(), e.taskSearchPaths(), e.dataDir(), e.batchSize(),
                s.randomSeed(), s.forcePopulationSize(), o.saveFinalModel(), o.allowBenchmarkTasks(), s.maxEvaluations(),
                o.resume(), e.numWorkers(), e.backend().text(), e.evalServerCmd(), e.threads(), o.allowCrimes(),
                s.sigma0(), e.timeout(), l.maxFallbacks(), l.maxContextTokens(), l.pricePerMtok(),
                o.fitness().estimator() == null ? null : o.fitness().estimator().text(), o.fitness().anchors(),
                o.fitness().calibrationLimit(), o.fitness().fullEvalTop(), o.fitness().recalibrateEvery(),
                e.serverPool().servers(), e.serverPool().enabled() ? e.serverPool().reload() : null,
                e.serverPool().scratchDir());
    }

    /** The grouped options; a stored optimizer, strategy or backend that is no longer known is a usage error. */
    EvolveOptions options() {
        return new EvolveOptions(genomeFile, storage, resume,
                new SearchOptions(OptimizerKind.parse(optimizer), maxGeneration, maxEvaluations, randomSeed,
                        forcePopulationSize, elitism, sigma0),
                new LlmOptions(llmModel, llmBaseUrl, apiKey, topK, llmHistory, sigmaLow, sigmaHigh, maxRetries,
                        maxFallbacks, llmMaxContextTokens, llmPricePerMtok),
                new CandidateEvaluationOptions(LocalEvaluator.Strategy.parse(strategy), inMemory, numWorkers,
                        EvaluationBackend.parse(backend), evalServerCmd, taskSearchPaths, dataDir, batchSize, threads,
                        timeout, new ServerPoolOptions(evalServer,
                        evalServerReload == null ? ServerPoolOptions.DETECT : evalServerReload, scratchDir)),
                saveFinalModel, allowCrimes, allowBenchmarkTasks,
                new dev.evomerge.evolve.fitness.FitnessOptions(fitnessEstimator == null ? null
                        : dev.evomerge.evolve.fitness.FitnessEstimatorKind.parse(fitnessEstimator, "--fitness-estimator"),
                        anchors, calibrationLimit, fullEvalTop, recalibrateEvery));
    }
}
