package dev.evomerge.engine.model;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.safetensors.SafetensorsModel;
import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.TensorInfo;
import dev.evomerge.core.tensor.TensorSource;
import dev.evomerge.engine.LoadListener;
import dev.evomerge.engine.LoadProgress;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Copies a checkpoint's tensors into freshly allocated {@link ModelWeights}, checking names, dtypes and shapes. */
public final class WeightLoader {

    private WeightLoader() {
    }

    /** Loads the safetensors of {@code dir} (single file or sharded). */
    public static ModelWeights load(Path dir, TransformerConfig config, boolean bf16, LoadListener listener) {
        try (SafetensorsModel source = SafetensorsModel.open(dir)) {
            return load(source, config, bf16, listener);
        }
    }

    /** Loads from any tensor source with Hugging Face names. */
    public static ModelWeights load(TensorSource source, TransformerConfig config, boolean bf16,
                                    LoadListener listener) {
        ModelWeights weights = ModelWeights.allocate(config, bf16);
        Map<String, WeightSlot> slots = weights.slots(weights.layers());
        checkNoUnexpected(source, slots.keySet(), config);
        long total = 0;
        List<TensorInfo> infos = new ArrayList<>();
        for (Map.Entry<String, WeightSlot> e : slots.entrySet()) {
            TensorInfo info = source.info(e.getKey()).orElseThrow(() -> EvomergeException.usage("Model "
                    + source.description() + " has no tensor '" + e.getKey() + "', which "
                    + config.architecture().className() + " with this config.json needs."));
            check(info, e.getValue(), source.description());
            infos.add(info);
            total += info.byteSize();
        }
        long done = 0;
        int i = 0;
        for (Map.Entry<String, WeightSlot> e : slots.entrySet()) {
            TensorInfo info = infos.get(i++);
            e.getValue().write(source.tensor(e.getKey()));
            done += info.byteSize();
            listener.onProgress(new LoadProgress(e.getKey(), i, infos.size(), done, total));
        }
        return weights;
    }

    /** Shape and dtype checks shared by loading and the resident-weight sink. */
    public static void check(TensorInfo info, WeightSlot slot, String where) {
        DType d = info.dtype();
        if (d != DType.F32 && d != DType.BF16 && d != DType.F16 && d != DType.F64) {
            throw EvomergeException.usage("Tensor '" + info.name() + "' in " + where + " has dtype " + d
                    + "; the engine reads only F32, BF16, F16 or F64 weights.");
        }
        if (!info.shape().equals(slot.shape())) {
            throw EvomergeException.usage("Tensor '" + info.name() + "' in " + where + " has shape " + info.shape()
                    + " but the model's config.json needs " + slot.shape() + ".");
        }
    }

    private static void checkNoUnexpected(TensorSource source, Set<String> expected, TransformerConfig config) {
        Set<String> known = new HashSet<>(expected);
        for (String name : source.tensorNames()) {
            boolean ignorable = name.endsWith(".rotary_emb.inv_freq")
                    || (config.tiedEmbeddings() && name.equals("lm_head.weight"));
            if (!known.contains(name) && !ignorable) {
                throw EvomergeException.usage("Model " + source.description() + " has a tensor '" + name
                        + "' that " + config.architecture().className()
                        + " with this config.json does not use (check num_hidden_layers, biases and "
                        + "tie_word_embeddings).");
            }
        }
    }
}
