package dev.evomerge.evolve.local;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.engine.CausalLanguageModel;
import dev.evomerge.engine.LoadOptions;
import dev.evomerge.engine.WeightStorage;
import dev.evomerge.engine.load.LoadedModel;
import dev.evomerge.eval.model.LanguageModel;
import dev.evomerge.eval.model.LanguageModels;
import dev.evomerge.evolve.run.Candidate;
import dev.evomerge.evolve.run.Evaluation;
import dev.evomerge.evolve.run.MetricKey;
import dev.evomerge.merge.MergeOptions;
import dev.evomerge.merge.KeptMergeSession;
import dev.evomerge.merge.MergeSession;
import dev.evomerge.merge.config.MergeConfig;

import java.nio.file.Path;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The in-memory slot: one resident model whose weights each merge overwrites in place, scored by the embedded engine.
 * Nothing touches disk per candidate. The merge session is planned once and reused while candidates keep the same
 * layout (task vectors and sorted magnitudes are then computed once for the whole run).
 */
final class InMemoryWorker implements CandidateWorker {

    private final EvaluationSettings settings;
    private final String name;
    private final Consumer<String> warnings;
    private final TaskScorer scorer;
    private WeightStorage storage;
    private CausalLanguageModel model;
    private LanguageModel lm;
    /** The merge session kept while candidates keep their layout. */
    private final KeptMergeSession sessions;

    InMemoryWorker(EvaluationSettings settings, String name, Consumer<String> warnings) {
        this.settings = settings;
        this.name = name;
        this.warnings = warnings;
        load(ResidentStorage.forCheckpoint(Path.of(settings.residentModel())));
        this.scorer = new TaskScorer(settings, warnings);
        this.sessions = new KeptMergeSession(mergeOptions(settings));
    }

    /** (Re)loads the resident model with {@code weights} storage. */
    private void load(WeightStorage weights) {
        LoadedModel resident = LoadedModel.load(Path.of(settings.residentModel()),
                LoadOptions.defaults().withThreads(settings.threads()).withWeightStorage(weights));
        this.storage = weights;
        this.model = resident.model();
        this.lm = LanguageModels.embedded(resident, name, false, true, settings.batchSize());
    }

    @Override
    public Evaluation evaluate(Candidate c, Deadline deadline) {
        long t0 = System.nanoTime();
        double mergeSeconds = 0;
        try {
            mergeInto(c.config());
            mergeSeconds = (System.nanoTime() - t0) / 1e9;
            deadline.check();
            long t1 = System.nanoTime();
            Map<MetricKey, Double> metrics = scorer.score(lm, deadline);
            return new Evaluation(c, Double.NaN, metrics, null, mergeSeconds, (System.nanoTime() - t1) / 1e9, name);
        } catch (RuntimeException e) {
            double elapsed = (System.nanoTime() - t0) / 1e9;
            return Evaluation.failed(c, describe(e), mergeSeconds, elapsed - mergeSeconds, name);
        }
    }

    private void mergeInto(MergeConfig cfg) {
        // slerp picks different models per layer group, so some candidates need a new plan
        MergeSession session = sessions.sessionFor(cfg);
        if (!ResidentStorage.holdsExactly(storage, session.plan().outputs())) {
            // the merges write float32 (or f16) weights, which bf16 storage would round
            warnings.accept("The merged weights are not all bfloat16, so the in-memory model of " + name
                    + " is reloaded with float32 weights (twice the memory).");
            lm.close();
            model.close();
            load(WeightStorage.FLOAT32);
        }
        var sink = model.weightSink();
        session.mergeInto(cfg, sink);
        sink.commit();
    }

    /** The run's merge options, with task vectors kept across the merges into the resident model. */
    static MergeOptions mergeOptions(EvaluationSettings s) {
        return s.mergeOptions().withTaskVectorCacheBytes(1L << 30);
    }

    static String describe(RuntimeException e) {
        if (e instanceof EvomergeException) {
            return e.getMessage();
        }
        return e.getClass().getSimpleName() + ": " + e.getMessage();
    }

    @Override
    public TaskScorer scorer() {
        return scorer;
    }

    @Override
    public void close() {
        sessions.reopenNote(name).ifPresent(warnings);
        sessions.close();
        lm.close();
        model.close();
    }
}
