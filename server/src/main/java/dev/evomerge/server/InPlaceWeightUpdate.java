package dev.evomerge.server;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.model.ModelConfig;
import dev.evomerge.core.safetensors.SafetensorsModel;
import dev.evomerge.core.safetensors.StagedTensorReader;
import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.Tensor;
import dev.evomerge.core.tensor.TensorInfo;
import dev.evomerge.core.tensor.TensorSink;
import dev.evomerge.core.tensor.TensorSource;
import dev.evomerge.engine.CausalLanguageModel;
import dev.evomerge.engine.ModelSpec;
import dev.evomerge.engine.model.TransformerConfig;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Loads a model directory's weights into the served model's resident weights, in place (no second copy of the model
 * is allocated), through the engine's weight sink. Everything that can be checked without writing is checked first:
 * the directory exists, its config.json has the served model's architecture and shapes, its safetensors headers are
 * readable and cover their files, and it has exactly the served model's tensors with the same shapes and float
 * dtypes. Any of these failing refuses the update with the old weights untouched. The tokenizer, the chat template
 * and the rest of config.json (RoPE, norm epsilon, context length) stay the served model's.
 */
public final class InPlaceWeightUpdate implements WeightUpdates {

    /** The dtypes the engine's weight sink converts from (checked before writing, so that no write fails on one). */
    private static final Set<DType> ENGINE_DTYPES = Set.of(DType.F32, DType.BF16, DType.F16, DType.F64);

    /**
     * Reads each tensor of a candidate into one buffer kept for the server's life (the size of the largest tensor up
     * to 256 MB: 98 MB for a 760M-parameter Llama's embeddings). Updates run one at a time on the model thread.
     */
    private final StagedTensorReader reader = new StagedTensorReader();

    @Override
    public WeightUpdateResult update(ServedModel served, Path dir) {
        long start = System.nanoTime();
        if (!Files.exists(dir)) {
            return WeightUpdateResult.refused("Model directory " + dir + " does not exist.");
        }
        if (!Files.isDirectory(dir)) {
            return WeightUpdateResult.refused(dir + " is not a directory; a model directory is needed.");
        }
        Path configFile = dir.resolve("config.json");
        if (!Files.isRegularFile(configFile)) {
            return WeightUpdateResult.refused("Model directory " + dir + " has no config.json.");
        }
        CausalLanguageModel model = served.model();
        try {
            String mismatch = architectureMismatch(model.spec(), TransformerConfig.from(ModelConfig.read(configFile)));
            if (mismatch != null) {
                return WeightUpdateResult.refused("Model " + dir + " does not fit the served model: " + mismatch
                        + ".");
            }
        } catch (EvomergeException e) {
            return WeightUpdateResult.refused(e.getMessage());
        }
        SafetensorsModel source;
        try {
            source = SafetensorsModel.open(dir);
        } catch (EvomergeException e) {
            return WeightUpdateResult.refused(e.getMessage());
        }
        try (source) {
            TensorSource resident = model.weightSource();
            List<String> names = resident.tensorNames();
            String mismatch = tensorMismatch(resident, names, source, model.spec().tiedEmbeddings());
            if (mismatch != null) {
                return WeightUpdateResult.refused("Model " + dir + " does not fit the served model: " + mismatch
                        + ".");
            }
            TensorSink sink = model.weightSink();
            int written = 0;
            try (StagedTensorReader.Session staged = reader.open(source)) {
                for (String name : names) {
                    // read into the reused buffer, not through the new file's mapping: half the CPU time
                    Tensor tensor = staged.tensor(name);
                    sink.accept(name, tensor);
                    written++;
                }
                sink.commit();
            } catch (RuntimeException e) {
                return WeightUpdateResult.broken("Loading " + dir + " failed after " + written + " of "
                        + names.size() + " tensors (" + (e.getMessage() == null ? e.getClass().getSimpleName()
                        : e.getMessage()) + "); the served weights are now a mix of two models and the server"
                        + " refuses generation until a reload succeeds.");
            }
            served.servedFrom(dir);
            return WeightUpdateResult.loaded(String.format(java.util.Locale.ROOT,
                    "Loaded %d tensors from %s in %.2f s.", names.size(), dir, (System.nanoTime() - start) / 1e9));
        }
    }

    /** The first config.json value that would change a shape or the forward pass's structure, or null. */
    static String architectureMismatch(ModelSpec served, TransformerConfig candidate) {
        List<String> diffs = new ArrayList<>();
        diff(diffs, "architectures", served.architecture(), candidate.architecture().className());
        diff(diffs, "vocab_size", served.vocabSize(), candidate.vocabSize());
        diff(diffs, "hidden_size", served.hiddenSize(), candidate.hiddenSize());
        diff(diffs, "num_hidden_layers", served.numLayers(), candidate.numLayers());
        diff(diffs, "num_attention_heads", served.numHeads(), candidate.numHeads());
        diff(diffs, "num_key_value_heads", served.numKeyValueHeads(), candidate.numKvHeads());
        diff(diffs, "head_dim", served.headDim(), candidate.headDim());
        diff(diffs, "intermediate_size", served.intermediateSize(), candidate.intermediateSize());
        diff(diffs, "tie_word_embeddings", served.tiedEmbeddings(), candidate.tiedEmbeddings());
        return diffs.isEmpty() ? null : String.join(", ", diffs);
    }

    private static void diff(List<String> out, String key, Object served, Object candidate) {
        if (!Objects.equals(served, candidate)) {
            out.add("config.json has " + key + " " + candidate + " where the served model has " + served);
        }
    }

    /** The first tensor that is missing, extra, of another shape or not a float dtype, or null. */
    private static String tensorMismatch(TensorSource resident, List<String> names, TensorSource candidate,
                                         boolean tied) {
        for (String name : names) {
            TensorInfo want = resident.info(name).orElseThrow();
            TensorInfo got = candidate.info(name).orElse(null);
            if (got == null) {
                return "it has no tensor '" + name + "'";
            }
            if (!got.shape().equals(want.shape())) {
                return "tensor '" + name + "' has shape " + got.shape() + " where the served model has "
                        + want.shape();
            }
            if (!ENGINE_DTYPES.contains(got.dtype())) {
                return "tensor '" + name + "' has dtype " + got.dtype() + "; the engine reads only F32, BF16, F16"
                        + " or F64 weights";
            }
        }
        Set<String> known = new HashSet<>(names);
        for (String name : candidate.tensorNames()) {
            boolean ignorable = name.endsWith(".rotary_emb.inv_freq") || (tied && name.equals("lm_head.weight"));
            if (!known.contains(name) && !ignorable) {
                return "it has a tensor '" + name + "' that the served model does not have";
            }
        }
        return null;
    }
}
