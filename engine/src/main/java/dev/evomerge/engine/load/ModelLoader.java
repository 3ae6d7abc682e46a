package dev.evomerge.engine.load;

import dev.evomerge.engine.CausalLanguageModel;
import dev.evomerge.engine.LoadOptions;
import dev.evomerge.engine.infer.TransformerModel;

import java.nio.file.Path;

/**
 * Loads a Hugging Face model directory (config.json + safetensors, single or sharded; bf16/fp16/fp32) into memory.
 * Supported architectures: LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM.
 */
public final class ModelLoader {

    private ModelLoader() {
    }

    /**
     * Reads config.json and the weights of {@code modelDir}.
     *
     * @throws dev.evomerge.core.EvomergeException (usage) naming the file/key/tensor when the directory is not a
     *                                             supported, consistent model
     */
    public static CausalLanguageModel load(Path modelDir, LoadOptions options) {
        return TransformerModel.load(modelDir, options);
    }

    /** {@link #load(Path, LoadOptions)} with {@link LoadOptions#defaults()}. */
    public static CausalLanguageModel load(Path modelDir) {
        return load(modelDir, LoadOptions.defaults());
    }
}
