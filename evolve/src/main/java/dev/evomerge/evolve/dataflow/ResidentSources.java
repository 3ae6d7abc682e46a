package dev.evomerge.evolve.dataflow;

import dev.evomerge.engine.LoadOptions;
import dev.evomerge.engine.load.LoadedModel;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The source models of a data-flow search, resident for the whole run: each distinct directory is loaded once (a
 * model listed twice shares its layers), and model 0 hosts the path (its embeddings, final norm and head run every
 * candidate; its layer sequence is re-pointed per candidate). Model 0 may be a model already in memory, e.g. the
 * parameter-space search's best merge in PS+DFS, which is then never read from disk.
 */
public final class ResidentSources implements AutoCloseable {

    private final List<LoadedModel> models;
    private final List<LoadedModel> owned;

    private ResidentSources(List<LoadedModel> models, List<LoadedModel> owned) {
        this.models = List.copyOf(models);
        this.owned = List.copyOf(owned);
    }

    /**
     * @param first  model 0 already loaded (closed with these sources), or null to load {@code dirs.get(0)}
     * @param dirs   every source model's directory, model 0 first ({@code dirs.get(0)} unused when {@code first} is given)
     */
    public static ResidentSources load(LoadedModel first, List<Path> dirs, int threads) {
        Map<Path, LoadedModel> byDir = new HashMap<>();
        List<LoadedModel> models = new ArrayList<>();
        List<LoadedModel> owned = new ArrayList<>();
        try {
            for (int m = 0; m < dirs.size(); m++) {
                if (m == 0 && first != null) {
                    models.add(first);
                    owned.add(first);
                    continue;
                }
                Path dir = dirs.get(m).toAbsolutePath().normalize();
                LoadedModel lm = byDir.get(dir);
                if (lm == null) {
                    lm = LoadedModel.load(dir, LoadOptions.defaults().withThreads(threads));
                    byDir.put(dir, lm);
                    owned.add(lm);
                }
                models.add(lm);
            }
        } catch (RuntimeException e) {
            owned.forEach(LoadedModel::close);
            throw e;
        }
        return new ResidentSources(models, owned);
    }

    /** The model that runs every path (model 0). */
    public LoadedModel host() {
        return models.getFirst();
    }

    /** How many models the path may take layers from. */
    public int size() {
        return models.size();
    }

    /** How many distinct models are in memory (a model listed twice counts once). */
    public int distinctLoaded() {
        return owned.size();
    }

    /** Each source model's decoder layer count as loaded (its own layers, whatever path it hosts). */
    public List<Integer> layerCounts() {
        return models.stream().map(m -> m.model().spec().numLayers()).toList();
    }

    /** Re-points the host at {@code path}: no weight is copied. */
    public void point(LayerPath path) {
        host().model().setLayers(ResidentPath.pointers(models.stream().map(LoadedModel::model).toList(), path));
    }

    @Override
    public void close() {
        for (LoadedModel m : owned.reversed()) {
            m.close();
        }
    }
}
