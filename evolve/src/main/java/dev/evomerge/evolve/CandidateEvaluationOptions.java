package dev.evomerge.evolve;

import dev.evomerge.evolve.local.EvaluationBackend;
import dev.evomerge.evolve.local.LocalEvaluator;
import dev.evomerge.evolve.pool.ServerPoolOptions;

import java.nio.file.Path;
import java.util.List;

/**
 * How this process evaluates candidates: the slots and their strategy, in memory or on disk, the backend, where task
 * files and data are, the batch size, threads and time limit.
 *
 * @param evalServerCmd   for openai-completions: a command with {model} and {port}, started per candidate
 * @param taskSearchPaths extra folders of task YAMLs
 * @param dataDir         local root of hub datasets (null = EVOMERGE_DATA)
 * @param threads         threads per evaluation slot
 * @param timeout         seconds one candidate's local evaluation may take before it is recorded as failed (null = no
 *                        limit)
 * @param serverPool      running inference servers that evaluate the candidates instead ({@code --eval-server})
 */
public record CandidateEvaluationOptions(LocalEvaluator.Strategy strategy, boolean inMemory, int numWorkers,
                                EvaluationBackend backend, String evalServerCmd, List<Path> taskSearchPaths,
                                Path dataDir, int batchSize, int threads, Long timeout, ServerPoolOptions serverPool) {

    /** The defaults, which --help shows. */
    public static final String STRATEGY = "pool";
    public static final int NUM_WORKERS = 1;
    public static final int BATCH_SIZE = 16;

    public CandidateEvaluationOptions {
        taskSearchPaths = List.copyOf(taskSearchPaths);
        serverPool = serverPool == null ? ServerPoolOptions.NONE : serverPool;
    }

    /** Local evaluation without a server pool. */
    public CandidateEvaluationOptions(LocalEvaluator.Strategy strategy, boolean inMemory, int numWorkers,
                                      EvaluationBackend backend, String evalServerCmd, List<Path> taskSearchPaths,
                                      Path dataDir, int batchSize, int threads, Long timeout) {
        this(strategy, inMemory, numWorkers, backend, evalServerCmd, taskSearchPaths, dataDir, batchSize, threads,
                timeout, ServerPoolOptions.NONE);
    }

    /** In-memory evaluation by one pool slot with the embedded engine, with these tasks, batch size and threads. */
    public static CandidateEvaluationOptions inMemory(List<Path> taskSearchPaths, int batchSize, int threads) {
        return new CandidateEvaluationOptions(LocalEvaluator.Strategy.POOL, true, NUM_WORKERS, EvaluationBackend.EMBEDDED, null,
                taskSearchPaths, null, batchSize, threads, null);
    }
}
