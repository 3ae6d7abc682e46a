package dev.evomerge.cli;

import dev.evomerge.evolve.CandidateEvaluationOptions;
import dev.evomerge.evolve.local.EvaluationBackend;
import dev.evomerge.evolve.local.LocalEvaluator;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** {@code evolve}'s options of local evaluation; {@link #options()} builds them once. */
final class EvaluationCliOptions {

    @Option(names = {"-s", "--strategy"}, defaultValue = CandidateEvaluationOptions.STRATEGY, description = "pool, buffered or serial (default: ${DEFAULT-VALUE}).")
    LocalEvaluator.Strategy strategy;
    @Option(names = "--in-memory", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Merge into a resident model's weights (default); --no-in-memory writes each merge to disk.")
    boolean inMemory;
    @Option(names = "--num-workers", defaultValue = "" + CandidateEvaluationOptions.NUM_WORKERS, description = "Evaluation slots in this process (default: ${DEFAULT-VALUE}).")
    int numWorkers;
    @Option(names = "--backend", defaultValue = EvaluationBackend.DEFAULT, description = "embedded or openai-completions (default: ${DEFAULT-VALUE}).")
    EvaluationBackend backend;
    @Option(names = "--eval-server-cmd", description = "openai-completions: server command with {model} and {port}, started per candidate.")
    String evalServerCmd;
    @Option(names = {"--task-search-path", "--include-path"}, description = "Extra folder of task YAMLs (repeatable).")
    List<Path> taskSearchPaths = new ArrayList<>();
    @Option(names = "--data-dir", description = "Local root of hub datasets (else EVOMERGE_DATA).")
    Path dataDir;
    @Option(names = "--batch-size", defaultValue = "" + CandidateEvaluationOptions.BATCH_SIZE, description = "Evaluation batch size (default: ${DEFAULT-VALUE}).")
    int batchSize;
    @Option(names = {"-j", "--threads"}, description = "Threads per evaluation slot (default: all cores).")
    Integer threads;
    @Mixin
    ServerPoolCliOptions serverPool;
    @Option(names = "--timeout", paramLabel = "SECONDS", description = "Local: seconds one candidate may take before it is recorded as failed (default: none).")
    Long timeout;

    CandidateEvaluationOptions options() {
        return new CandidateEvaluationOptions(strategy, inMemory, numWorkers, backend, evalServerCmd, taskSearchPaths, dataDir,
                batchSize, threads == null ? Runtime.getRuntime().availableProcessors() : threads, timeout,
                serverPool.options());
    }
}
