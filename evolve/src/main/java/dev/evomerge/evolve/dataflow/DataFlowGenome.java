package dev.evomerge.evolve.dataflow;

import dev.evomerge.core.EvomergeException;

import java.util.ArrayList;
import java.util.List;

/**
 * Turns a gene vector in [0, 1]^N into a {@link LayerPath} (docs/evolution.md, "Data-flow genome"). The genes are, in
 * this order:
 * <ol>
 * <li>one inclusion gene per position of the layout: the layers of the M source models in order (model 0's layers,
 * then model 1's, ...), that sequence repeated {@code repeats} times; a position is on the path when its gene is above
 * 0.5;</li>
 * <li>the scaling genes: with {@code model-pair}, M x M genes, row = the model of the layer before, column = the model
 * of the layer; with {@code layer-pair}, T x T genes over the T distinct source layers (model 0's, then model 1's,
 * ...), row = the layer before, column = the layer; none with {@code none}.</li>
 * </ol>
 * The path is model 0's first layer, then the included positions in layout order, then model 0's last layer (both
 * ends forced, whatever the genes say); embeddings, final norm and head are model 0's. A scaling gene g maps
 * log-uniformly onto [low, high]: scale = low * (high / low)^g, so with the default [0.5, 2] g = 0.5 is no scaling.
 * The first layer's input is never scaled.
 */
public final class DataFlowGenome {

    /** One position of the layout: repeat {@code repeat} of layer {@code layer} of model {@code model}. */
    public record Position(int repeat, int model, int layer) {
        /** e.g. "r1 m0 L3". */
        public String label() {
            return "r" + repeat + " m" + model + " L" + layer;
        }
    }

    private final DataFlowDefinition def;
    private final List<String> models;
    private final List<Integer> layerCounts;
    private final List<Position> positions;
    private final int[] layerOffset;
    private final int totalLayers;
    private final int maxLayers;

    /**
     * @param models      the source models' names, model 0 first (its layers start and end every path)
     * @param layerCounts each model's decoder layer count
     */
    public DataFlowGenome(DataFlowDefinition def, List<String> models, List<Integer> layerCounts) {
        if (models.isEmpty() || models.size() != layerCounts.size()) {
            throw new IllegalArgumentException(models.size() + " models but " + layerCounts.size() + " layer counts");
        }
        this.def = def;
        this.models = List.copyOf(models);
        this.layerCounts = List.copyOf(layerCounts);
        this.layerOffset = new int[models.size()];
        int t = 0;
        for (int m = 0; m < models.size(); m++) {
            layerOffset[m] = t;
            t += layerCounts.get(m);
        }
        this.totalLayers = t;
        List<Position> p = new ArrayList<>();
        for (int r = 0; r < def.repeats(); r++) {
            for (int m = 0; m < models.size(); m++) {
                for (int l = 0; l < layerCounts.get(m); l++) {
                    p.add(new Position(r, m, l));
                }
            }
        }
        this.positions = List.copyOf(p);
        int depth = layerCounts.getFirst();
        this.maxLayers = def.maxLayers() != null ? def.maxLayers() : (int) Math.floor(1.5 * depth);
        if (maxLayers < 2) {
            throw EvomergeException.usage("data_flow.max_layers is " + maxLayers + ", but every path has at least the "
                    + "forced first and last layer of " + models.getFirst() + ".");
        }
    }

    public DataFlowDefinition definition() {
        return def;
    }

    public List<String> models() {
        return models;
    }

    public List<Integer> layerCounts() {
        return layerCounts;
    }

    /** The positions of the layout, in gene order. */
    public List<Position> positions() {
        return positions;
    }

    /** Number of inclusion genes (the first genes). */
    public int inclusionGenes() {
        return positions.size();
    }

    /** Number of scaling genes (after the inclusion genes). */
    public int scalingGenes() {
        return switch (def.scaling()) {
            case MODEL_PAIR -> models.size() * models.size();
            case LAYER_PAIR -> totalLayers * totalLayers;
            case NONE -> 0;
        };
    }

    /** Total number of genes. */
    public int size() {
        return inclusionGenes() + scalingGenes();
    }

    /** The longest path evaluated; a longer one is penalised. */
    public int maxLayers() {
        return maxLayers;
    }

    /** The flat index of the scaling gene for a layer of {@code model}/{@code layer} after one of {@code prevModel}/{@code prevLayer}. */
    public int scalingIndex(int prevModel, int prevLayer, int model, int layer) {
        return switch (def.scaling()) {
            case MODEL_PAIR -> inclusionGenes() + prevModel * models.size() + model;
            case LAYER_PAIR -> inclusionGenes() + (layerOffset[prevModel] + prevLayer) * totalLayers
                    + layerOffset[model] + layer;
            case NONE -> throw new IllegalStateException("scaling: none has no scaling genes");
        };
    }

    /** The scale a scaling gene decodes to (clamped to [0, 1] first). */
    public double scale(double gene) {
        double g = Math.clamp(gene, 0.0, 1.0);
        return def.scaleLow() * Math.pow(def.scaleHigh() / def.scaleLow(), g);
    }

    /** The gene that decodes to {@code scale} (clamped to the range). */
    public double geneOf(double scale) {
        if (def.scaleHigh() == def.scaleLow()) {
            return 0.5;
        }
        double g = Math.log(scale / def.scaleLow()) / Math.log(def.scaleHigh() / def.scaleLow());
        return Math.clamp(g, 0.0, 1.0);
    }

    /** The path these genes decode to (it may be longer than {@link #maxLayers()}; see {@link #tooLong}). */
    public LayerPath decode(double[] genes) {
        if (genes.length != size()) {
            throw new IllegalArgumentException("data-flow genome has " + genes.length + " genes, its layout needs " + size());
        }
        List<PathStep> steps = new ArrayList<>();
        steps.add(new PathStep(0, 0, 1.0));
        for (int p = 0; p < positions.size(); p++) {
            if (genes[p] > 0.5) {
                Position pos = positions.get(p);
                steps.add(next(steps.getLast(), pos.model(), pos.layer(), genes));
            }
        }
        steps.add(next(steps.getLast(), 0, layerCounts.getFirst() - 1, genes));
        return new LayerPath(steps);
    }

    private PathStep next(PathStep prev, int model, int layer, double[] genes) {
        double s = def.scaling() == Scaling.NONE ? 1.0 : scale(genes[scalingIndex(prev.model(), prev.layer(), model, layer)]);
        return new PathStep(model, layer, s);
    }

    /** Whether the path is longer than {@link #maxLayers()}, so that it is penalised instead of evaluated. */
    public boolean tooLong(LayerPath path) {
        return path.length() > maxLayers;
    }

    /**
     * The penalty fitness of a path longer than max_layers: minus the layers over the limit, so that every evaluated
     * candidate (fitness >= 0 for non-negative task weights) ranks above it and shorter excess ranks higher.
     */
    public double penalty(LayerPath path) {
        return -(double) (path.length() - maxLayers);
    }

    /**
     * The search's starting point: model 0's own path (its layers 1 .. L-2 in the first repeat at 0.75, every other
     * position at 0.25, each a quarter from the threshold) and every scaling gene at the gene of scale 1.
     */
    public double[] initialGenes() {
        double[] x = new double[size()];
        int depth = layerCounts.getFirst();
        for (int p = 0; p < positions.size(); p++) {
            Position pos = positions.get(p);
            boolean own = pos.repeat() == 0 && pos.model() == 0 && pos.layer() > 0 && pos.layer() < depth - 1;
            x[p] = own ? 0.75 : 0.25;
        }
        double one = geneOf(1.0);
        for (int i = inclusionGenes(); i < size(); i++) {
            x[i] = one;
        }
        return x;
    }

    /**
     * Genes that decode to {@code path} (a path whose steps follow the layout's order after the forced first layer and
     * before the forced last one): inclusion genes 1 or 0, scaling genes of the path's scales, other scaling genes at
     * scale 1. Throws when the path cannot be laid out.
     */
    public double[] encode(LayerPath path) {
        double[] x = new double[size()];
        double one = geneOf(1.0);
        for (int i = inclusionGenes(); i < size(); i++) {
            x[i] = one;
        }
        List<PathStep> steps = path.steps();
        if (steps.size() < 2 || !isStart(steps.getFirst()) || !isEnd(steps.getLast())) {
            throw new IllegalArgumentException("a data-flow path starts with model 0's first layer and ends with its last");
        }
        int p = 0;
        for (int i = 1; i < steps.size() - 1; i++) {
            PathStep s = steps.get(i);
            while (p < positions.size() && !(positions.get(p).model() == s.model() && positions.get(p).layer() == s.layer())) {
                p++;
            }
            if (p == positions.size()) {
                throw new IllegalArgumentException("step " + i + " (" + s + ") does not fit the layout after the steps before it");
            }
            x[p++] = 1.0;
        }
        for (int i = 1; i < steps.size(); i++) {
            PathStep prev = steps.get(i - 1);
            PathStep s = steps.get(i);
            if (def.scaling() != Scaling.NONE) {
                x[scalingIndex(prev.model(), prev.layer(), s.model(), s.layer())] = geneOf(s.scale());
            } else if (s.scale() != 1.0) {
                throw new IllegalArgumentException("scaling: none cannot scale step " + i);
            }
        }
        return x;
    }

    private static boolean isStart(PathStep s) {
        return s.model() == 0 && s.layer() == 0 && s.scale() == 1.0;
    }

    private boolean isEnd(PathStep s) {
        return s.model() == 0 && s.layer() == layerCounts.getFirst() - 1;
    }

    /**
     * What each gene means, for people and for the LLM strategy's prompt: the inclusion genes' positions and the
     * scaling genes' pairs.
     */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        sb.append("Source models (model 0 gives the embeddings, the final norm and the head):\n");
        for (int m = 0; m < models.size(); m++) {
            sb.append("  model ").append(m).append(": ").append(layerCounts.get(m)).append(" layers\n");
        }
        sb.append("Genes 0 to ").append(inclusionGenes() - 1).append(" are inclusion probabilities, one per position of "
                + "the layout: the layers of model 0, then of model 1, and so on, that sequence repeated ")
                .append(def.repeats()).append(" times; a position is on the path when its value is above 50. ");
        sb.append("The path always starts with layer 0 of model 0 and ends with its last layer (")
                .append(layerCounts.getFirst() - 1).append("), whatever the genes say; between them come the included "
                        + "positions in layout order. A path of more than ").append(maxLayers)
                .append(" layers (the forced ends included) is not evaluated and scores minus the layers over that limit.\n");
        if (scalingGenes() > 0) {
            sb.append("Genes ").append(inclusionGenes()).append(" to ").append(size() - 1).append(" are scales of the input"
                    + " a layer receives, mapped log-uniformly from 0..100 onto ").append(def.scaleLow()).append("..")
                    .append(def.scaleHigh()).append(" (the value ").append(Math.round(100 * geneOf(1.0)))
                    .append(" means no scaling), ");
            if (def.scaling() == Scaling.MODEL_PAIR) {
                sb.append("one per (model of the layer before, model of the layer) pair, row-major: gene ")
                        .append(inclusionGenes()).append(" + a * ").append(models.size()).append(" + b scales a layer of"
                                + " model b that follows a layer of model a.\n");
            } else {
                sb.append("one per (layer before, layer) pair over the ").append(totalLayers).append(" distinct layers"
                        + " (model 0's, then model 1's, ...), row-major.\n");
            }
        }
        return sb.toString();
    }
}
