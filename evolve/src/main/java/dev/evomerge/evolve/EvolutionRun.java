package dev.evomerge.evolve;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.core.io.AtomicFile;
import dev.evomerge.evolve.dataflow.DataFlowEvaluator;
import dev.evomerge.evolve.genome.Genome;
import dev.evomerge.evolve.genome.TaskSpec;
import dev.evomerge.evolve.llm.LlmExchange;
import dev.evomerge.evolve.llm.LlmPrice;
import dev.evomerge.evolve.optimizer.Optimizer;
import dev.evomerge.evolve.run.CandidateEvaluator;
import dev.evomerge.evolve.run.Evaluation;
import dev.evomerge.evolve.run.EvolutionListener;
import dev.evomerge.evolve.run.Fitness;
import dev.evomerge.evolve.run.GenerationStats;
import dev.evomerge.evolve.run.MetricKey;
import dev.evomerge.evolve.store.RunMeta;
import dev.evomerge.evolve.store.RunStore;
import dev.evomerge.merge.config.MergeConfig;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * The generation loop: ask the optimizer, evaluate what the run store does not already hold, record every candidate
 * as it finishes, tell the optimizer, save its state. Because each generation's state is saved after {@code tell},
 * a run killed at any moment resumes from its last completed generation and re-evaluates nothing it recorded.
 */
public final class EvolutionRun {

    /** What a finished run found. */
    public record Result(int generations, int evaluations, Evaluation best) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final RunStore store;
    private final Path storage;
    private final Genome genome;
    private final List<TaskSpec> tasks;
    private final Optimizer optimizer;
    private final CandidateEvaluator evaluator;
    private final EvolutionListener listener;
    private LlmPrice llmPrice;
    private Function<double[], MergeConfig> decoder;

    public EvolutionRun(RunStore store, Path storage, Genome genome, List<TaskSpec> tasks, Optimizer optimizer,
                        CandidateEvaluator evaluator, EvolutionListener listener) {
        this.store = store;
        this.storage = storage;
        this.genome = genome;
        this.tasks = List.copyOf(tasks);
        this.optimizer = optimizer;
        this.evaluator = evaluator;
        this.listener = listener;
        this.decoder = genome::decode;
    }

    /**
     * Decodes genes with {@code d} instead of the genome: a data-flow search's candidates are the passthrough configs
     * their paths export to (evolve/dataflow).
     */
    public EvolutionRun decoder(Function<double[], MergeConfig> d) {
        this.decoder = d;
        return this;
    }

    /** Prices the LLM tokens in summary.json ({@code --llm-price-per-mtok}); null for none. */
    public EvolutionRun llmPrice(LlmPrice price) {
        this.llmPrice = price;
        return this;
    }

    /**
     * Runs generations {@code firstGeneration .. lastGeneration} (inclusive); generation 0 is the initial population.
     * Stops early once {@code maxEvaluations} candidates (counting earlier generations) have been evaluated.
     */
    public Result run(int firstGeneration, int lastGeneration, Integer maxEvaluations) {
        List<Evaluation> stored = store.allCandidates();
        Evaluation best = Evaluation.best(stored);
        if (best != null) {
            // A run killed between recording a new best and rewriting the file left the previous best there.
            writeBestConfig(best);
        }
        int evaluations = stored.size();
        int generation = firstGeneration;
        store.putMeta(RunMeta.STATUS, "running");
        try {
            for (; generation <= lastGeneration; generation++) {
                if (maxEvaluations != null && evaluations >= maxEvaluations) {
                    break;
                }
                List<double[]> genes = optimizer.ask();
                GenerationEvaluation done = GenerationEvaluation.run(store, decoder, evaluator, listener, generation, genes,
                        e -> DataFlowEvaluator.isPenalty(e) ? e : Fitness.scored(tasks, e));
                Evaluation[] results = done.results();
                double bestBefore = best == null ? Double.NaN : best.score();
                double[] fitness = new double[genes.size()];
                for (int k = 0; k < fitness.length; k++) {
                    fitness[k] = results[k].ok() ? results[k].score() : Double.NEGATIVE_INFINITY;
                    if (results[k].ok() && (best == null || results[k].score() > best.score())) {
                        best = results[k];
                        writeBestConfig(best);
                        listener.newBest(best);
                    }
                }
                evaluations += done.evaluated();
                optimizer.tell(genes, fitness);
                store.saveOptimizerState(generation, optimizer.name(), optimizer.state());
                listener.generationDone(GenerationStats.of(generation, Arrays.asList(results), bestBefore));
            }
        } catch (RuntimeException e) {
            // a run that stops (e.g. --max-fallbacks) still leaves a summary of what it did, marked failed
            try {
                writeSummary(new Result(generation, evaluations, best), "failed");
            } catch (RuntimeException summary) {
                e.addSuppressed(summary);
            }
            throw e;
        }
        // A run in which candidates were evaluated but none scored did not do its job: run.db and summary.json say so
        // alike (the launcher adds the most common error and exits 1).
        String status = best == null && evaluations > 0 ? "failed" : "completed";
        store.putMeta(RunMeta.STATUS, status);
        if (best != null) {
            writeBestConfig(best);
        }
        Result result = new Result(generation, evaluations, best);
        writeSummary(result, status);
        return result;
    }

    private void writeBestConfig(Evaluation best) {
        atomicWrite(storage.resolve("best_config.yaml"), best.candidate().mergeYaml());
    }

    private void writeSummary(Result r, String status) {
        atomicWrite(storage.resolve("summary.json"), summary(optimizer.name(), r, status, store, llmPrice).toPrettyString() + "\n");
    }

    /** summary.json of a run: its optimizer, status, length, best candidate and, for the llm optimizer, its tokens. */
    static ObjectNode summary(String optimizerName, Result r, String status, RunStore store, LlmPrice llmPrice) {
        ObjectNode s = JSON.createObjectNode();
        s.put("optimizer", optimizerName);
        s.put("status", status);
        s.put("generations", r.generations());
        s.put("evaluations", r.evaluations());
        if (r.best() != null) {
            s.put("best_score", r.best().score());
            s.put("best_generation", r.best().candidate().generation());
            s.put("best_index", r.best().candidate().index());
            var genes = s.putArray("best_genes");
            for (double g : r.best().candidate().genes()) {
                genes.add(g);
            }
            var metrics = s.putObject("best_metrics");
            MetricKey.toText(r.best().metrics()).forEach(metrics::put);
            s.put("best_config", r.best().candidate().mergeYaml());
        }
        if (optimizerName.equals("llm")) {
            LlmExchange.Counts c = LlmExchange.Counts.of(store.exchanges());
            c.writeTo(s.putObject("llm"), llmPrice);
        }
        return s;
    }

    static void atomicWrite(Path target, String text) {
        AtomicFile.write(target, text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
}
