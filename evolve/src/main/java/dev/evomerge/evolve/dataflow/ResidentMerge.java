package dev.evomerge.evolve.dataflow;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.io.Reasons;
import dev.evomerge.engine.LoadOptions;
import dev.evomerge.engine.load.LoadedModel;
import dev.evomerge.evolve.local.EvaluationSettings;
import dev.evomerge.evolve.local.Trees;
import dev.evomerge.merge.MergeReporter;
import dev.evomerge.merge.MergeSession;
import dev.evomerge.merge.config.MergeConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * PS+DFS's hand-over: the parameter search's best recipe merged straight into a resident model (the run's resident
 * model directory loaded once, its weights overwritten in place), which becomes model 0 of the data-flow search. The
 * data-flow candidates run on that model in memory; the same merge is also written once to {@code dir} because the
 * exported passthrough configs must name a model directory that mergekit can read.
 */
public final class ResidentMerge {

    private ResidentMerge() {
    }

    /** The folder under the run's storage where the parameter phase's best merge is written for the export. */
    public static final String FOLDER = "ps_best_model";

    public static LoadedModel of(MergeConfig best, EvaluationSettings settings, Path dir) {
        try {
            if (Files.exists(dir)) {
                Trees.delete(dir);
            }
        } catch (IOException e) {
            throw EvomergeException.runtime("Cannot replace " + dir + ": " + Reasons.of(e), e);
        }
        try (MergeSession s = MergeSession.open(best, settings.mergeOptions(), MergeReporter.silent())) {
            s.writeModel(dir);
            LoadedModel resident = LoadedModel.load(Path.of(settings.residentModel()),
                    LoadOptions.defaults().withThreads(Math.max(1, settings.threads())));
            try {
                var sink = resident.model().weightSink();
                s.mergeInto(best, sink);
                sink.commit();
                return resident;
            } catch (RuntimeException e) {
                resident.close();
                throw e;
            }
        }
    }
}
