package dev.evomerge.engine.model;

import dev.evomerge.engine.compute.PackedMatrix;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A model's resident weights: the token embedding (a packed matrix, so a tied model's lm_head is the same object),
 * the final norm, lm_head and this model's own decoder layers.
 */
public record ModelWeights(TransformerConfig config, PackedMatrix embedding, float[] finalNorm, PackedMatrix lmHead,
                           List<LayerWeights> layers) {

    public static final String LAYER_PREFIX = "model.layers.";

    public ModelWeights {
        layers = List.copyOf(layers);
    }

    /** Zero weights shaped by {@code config}. */
    public static ModelWeights allocate(TransformerConfig config, boolean bf16) {
        PackedMatrix embedding = PackedMatrix.zeros(config.vocabSize(), config.hiddenSize(), bf16);
        PackedMatrix lmHead = config.tiedEmbeddings() ? embedding
                : PackedMatrix.zeros(config.vocabSize(), config.hiddenSize(), bf16);
        List<LayerWeights> layers = new java.util.ArrayList<>();
        for (int i = 0; i < config.numLayers(); i++) {
            layers.add(LayerWeights.allocate(config, bf16));
        }
        return new ModelWeights(config, embedding, new float[config.hiddenSize()], lmHead, layers);
    }

    /**
     * Every tensor by its Hugging Face name for a model running {@code sequence} as its layers, in the order
     * embeddings, layers, final norm, lm_head (absent when tied).
     */
    public Map<String, WeightSlot> slots(List<LayerWeights> sequence) {
        Map<String, WeightSlot> s = new LinkedHashMap<>();
        s.put("model.embed_tokens.weight", new WeightSlot.MatrixSlot(embedding, 0, embedding.rows()));
        for (int i = 0; i < sequence.size(); i++) {
            String prefix = LAYER_PREFIX + i + ".";
            sequence.get(i).slots().forEach((k, v) -> s.put(prefix + k, v));
        }
        s.put("model.norm.weight", new WeightSlot.VectorSlot(finalNorm, 0, finalNorm.length));
        if (!config.tiedEmbeddings()) {
            s.put("lm_head.weight", new WeightSlot.MatrixSlot(lmHead, 0, lmHead.rows()));
        }
        return s;
    }

    /** The slot of one name for a model running {@code sequence}, without building the whole map. */
    public Optional<WeightSlot> slot(String name, List<LayerWeights> sequence) {
        if (name.startsWith(LAYER_PREFIX)) {
            int dot = name.indexOf('.', LAYER_PREFIX.length());
            if (dot < 0) {
                return Optional.empty();
            }
            int index;
            try {
                index = Integer.parseInt(name.substring(LAYER_PREFIX.length(), dot));
            } catch (NumberFormatException e) {
                return Optional.empty();
            }
            if (index < 0 || index >= sequence.size()) {
                return Optional.empty();
            }
            return Optional.ofNullable(sequence.get(index).slots().get(name.substring(dot + 1)));
        }
        return switch (name) {
            case "model.embed_tokens.weight" -> Optional.of(new WeightSlot.MatrixSlot(embedding, 0, embedding.rows()));
            case "model.norm.weight" -> Optional.of(new WeightSlot.VectorSlot(finalNorm, 0, finalNorm.length));
            case "lm_head.weight" -> config.tiedEmbeddings() ? Optional.empty()
                    : Optional.of(new WeightSlot.MatrixSlot(lmHead, 0, lmHead.rows()));
            default -> Optional.empty();
        };
    }

    /** Resident bytes. */
    public long byteSize() {
        long b = embedding.byteSize() + 4L * finalNorm.length + (lmHead == embedding ? 0 : lmHead.byteSize());
        for (LayerWeights l : layers) {
            b += l.byteSize();
        }
        return b;
    }
}
