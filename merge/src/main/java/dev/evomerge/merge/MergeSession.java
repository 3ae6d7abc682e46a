package dev.evomerge.merge;

import dev.evomerge.core.tensor.TensorSink;
import dev.evomerge.merge.config.MergeConfig;
import dev.evomerge.merge.exec.MergeExecutor;
import dev.evomerge.merge.method.MaskSource;
import dev.evomerge.merge.method.TaskVectorCache;
import dev.evomerge.merge.output.ModelWriter;
import dev.evomerge.merge.input.ModelCatalog;
import dev.evomerge.merge.plan.JobParameters;
import dev.evomerge.merge.plan.MergePlan;
import dev.evomerge.merge.plan.MergePlanner;
import dev.evomerge.merge.plan.PlanOptions;

import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The merge engine's entry point: opens the models a config names, plans and validates the merge once, then
 * merges as often as asked, into a model directory or any {@link TensorSink} (a resident model's weights). The
 * evolution loop keeps one session per run and calls {@link #mergeInto(MergeConfig, TensorSink)} with each
 * candidate's config; task vectors and sorted magnitudes are then computed once and reused (with
 * {@link MergeOptions#taskVectorCacheBytes()} &gt; 0). Close it to unmap the input models.
 */
public final class MergeSession implements AutoCloseable {

    private final MergeOptions options;
    private final MergeReporter reporter;
    private final MergePlan plan;
    private final MaskSource masks;
    private final TaskVectorCache cache;
    /** Whether a candidate write has mapped the inputs' pages, which this session then keeps for the next one. */
    private volatile boolean inputsMapped;

    private MergeSession(MergeOptions options, MergeReporter reporter, MergePlan plan) {
        this.options = options;
        this.reporter = reporter;
        this.plan = plan;
        long seed = options.randomSeed() != null ? options.randomSeed() : new SplittableRandom().nextLong();
        this.masks = MaskSource.seeded(seed);
        // always a cache: with taskVectorCacheBytes 0 it keeps only the magnitude counts of streamed ties, which
        // every merge after the first reuses
        this.cache = new TaskVectorCache(Math.max(0, options.taskVectorCacheBytes()),
                TaskVectorCache.DEFAULT_MAGNITUDE_BYTES);
    }

    /**
     * Opens the config's models and plans the merge. Every check that needs no tensor data runs here, so a config
     * error surfaces before anything is written.
     */
    public static MergeSession open(MergeConfig config, MergeOptions options, MergeReporter reporter) {
        ModelCatalog models = ModelCatalog.open(config.referencedModels(), options.baseDirectory(), options.modelDirectories(),
                reporter::warning);
        try {
            MergePlan plan = MergePlanner.plan(config, models, new PlanOptions(options.allowCrimes()),
                    reporter::warning);
            return new MergeSession(options, reporter, plan);
        } catch (RuntimeException e) {
            models.close();
            throw e;
        }
    }

    /** Reads a YAML config and opens a session for it. */
    public static MergeSession open(Path configFile, MergeOptions options, MergeReporter reporter) {
        return open(dev.evomerge.merge.config.MergeConfigReader.read(configFile, reporter::warning), options,
                reporter);
    }

    public MergePlan plan() {
        return plan;
    }

    /**
     * The cache shared by this session's merges: task vectors up to {@link MergeOptions#taskVectorCacheBytes()}
     * (none when 0) and the magnitude counts of streamed ties ({@link TaskVectorCache#magnitudes()}).
     */
    public TaskVectorCache cache() {
        return cache;
    }

    /**
     * Writes the merged model to {@code out} (shards, config.json, tokenizer, model card), which must not exist
     * or be an empty directory; it appears only when complete.
     */
    public void writeModel(Path out) {
        ModelWriter.checkTarget(out);
        run(() -> ModelWriter.write(plan, plan.parameters(), out, writerOptions(), reporter::warning,
                reporter::tensorDone));
    }

    /**
     * Writes a candidate, a config with the planned layout and other parameter values, to {@code out} as
     * {@link #writeModel(Path)} writes the planned config (its model card and mergekit_config.yml are the
     * candidate's). Unlike a one-off write, the inputs' pages stay mapped for the next candidate: the first write
     * maps each input tensor's pages in one call, later ones find them mapped. A config with another layout is a
     * usage error ({@link MergePlan#layoutMatches} says which configs fit).
     */
    public void writeModel(MergeConfig candidate, Path out) {
        ModelWriter.checkTarget(out);
        List<JobParameters> params = plan.parameters(candidate);
        ModelWriter.Options o = writerOptions();
        ModelWriter.Options kept = o.withExecution(o.execution().withPopulateInputPages(!inputsMapped));
        run(() -> ModelWriter.write(plan, candidate, params, out, kept, reporter::warning, reporter::tensorDone));
        inputsMapped = true;
    }

    /** Merges with the planned config's own parameters into {@code sink} (not committed). */
    public void mergeInto(TensorSink sink) {
        mergeInto(plan.config(), sink);
    }

    /**
     * Merges a config with the planned layout and other parameter values into {@code sink} (not committed).
     * A config with another layout is a usage error.
     */
    public void mergeInto(MergeConfig candidate, TensorSink sink) {
        List<JobParameters> params = plan.parameters(candidate);
        run(() -> MergeExecutor.execute(plan, params, sink, executorOptions(), reporter::tensorDone));
    }

    private void run(Runnable merge) {
        reporter.started(plan.jobs().size(), plan.inputBytes());
        try {
            merge.run();
        } finally {
            reporter.finished();
        }
    }

    private MergeExecutor.Options executorOptions() {
        return new MergeExecutor.Options(options.threads(), masks, cache);
    }

    private ModelWriter.Options writerOptions() {
        return new ModelWriter.Options(executorOptions(), options.maxShardBytes(), options.copyTokenizer(),
                options.writeModelCard());
    }

    @Override
    public void close() {
        plan.models().close(); // the catalog open() opened
    }
}
