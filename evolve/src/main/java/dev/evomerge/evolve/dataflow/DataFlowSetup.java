package dev.evomerge.evolve.dataflow;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.model.ModelDirectory;
import dev.evomerge.engine.load.LoadedModel;
import dev.evomerge.evolve.local.EvaluationSettings;
import dev.evomerge.evolve.store.StoredLayout;
import dev.evomerge.merge.config.MergeConfig;
import dev.evomerge.merge.config.ModelReference;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * One data-flow search: its genome over the source models, how a candidate's genes become the passthrough config it is
 * stored as, and the in-memory evaluator. The source models are the genome file's {@code genome.models} (data-flow
 * search alone), or the parameter search's best merge followed by them (PS+DFS).
 *
 * @param references the source models as the exported configs name them, model 0 first
 * @param dirs       their directories
 */
public record DataFlowSetup(DataFlowGenome genome, List<String> references, List<Path> dirs, PathExport exporter) {

    public DataFlowSetup {
        references = List.copyOf(references);
        dirs = List.copyOf(dirs);
    }

    /** The setup for these source models, their layer counts read from their config.json. */
    public static DataFlowSetup of(DataFlowDefinition def, List<String> references, List<Path> dirs) {
        List<Integer> layers = new ArrayList<>();
        for (int m = 0; m < dirs.size(); m++) {
            layers.add(ModelDirectory.open(dirs.get(m)).config().numLayers());
        }
        return new DataFlowSetup(new DataFlowGenome(def, references, layers), references, dirs, PathExport.PASSTHROUGH);
    }

    /** The passthrough config a candidate's genes are stored and exported as. */
    public MergeConfig export(double[] genes) {
        return exporter.export(genome.decode(genes), references.stream().map(ModelReference::parse).toList());
    }

    /**
     * The in-memory evaluator; loads the source models (each directory once).
     *
     * @param first model 0 already in memory (PS+DFS's best merge), or null to load it
     */
    public DataFlowEvaluator evaluator(LoadedModel first, EvaluationSettings settings, Consumer<String> warnings) {
        ResidentSources sources = ResidentSources.load(first, dirs, Math.max(1, settings.threads()));
        try {
            if (!sources.layerCounts().equals(genome.layerCounts())) {
                throw EvomergeException.usage("The data-flow source models have " + sources.layerCounts()
                        + " layers in memory but " + genome.layerCounts() + " in their config.json.");
            }
            return new DataFlowEvaluator(genome, sources, settings, warnings);
        } catch (RuntimeException e) {
            sources.close();
            throw e;
        }
    }

    /**
     * The gene layout as run.db keeps it: one row of N genes, each named by what it decodes to (an inclusion position
     * "r1 m0 L3", a scale "scale m0>m1" or "scale 3>7").
     */
    public StoredLayout storedLayout() {
        List<String> names = new ArrayList<>();
        for (DataFlowGenome.Position p : genome.positions()) {
            names.add(p.label());
        }
        int m = genome.models().size();
        switch (genome.definition().scaling()) {
            case MODEL_PAIR -> {
                for (int a = 0; a < m; a++) {
                    for (int b = 0; b < m; b++) {
                        names.add("scale m" + a + ">m" + b);
                    }
                }
            }
            case LAYER_PAIR -> {
                int t = genome.layerCounts().stream().mapToInt(Integer::intValue).sum();
                for (int a = 0; a < t; a++) {
                    for (int b = 0; b < t; b++) {
                        names.add("scale " + a + ">" + b);
                    }
                }
            }
            case NONE -> { }
        }
        return new StoredLayout("data_flow", List.of(1, 1, 1, genome.size()), references, names, List.of(), null);
    }
}
