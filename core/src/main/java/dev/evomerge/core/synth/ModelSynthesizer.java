package dev.evomerge.core.synth;

import dev.evomerge.core.io.AtomicDirectory;
import dev.evomerge.core.model.ArchitectureTemplate;
import dev.evomerge.core.model.Architectures;
import dev.evomerge.core.model.ModelConfig;
import dev.evomerge.core.model.WeightTemplate;
import dev.evomerge.core.safetensors.SafetensorsWriter;
import dev.evomerge.core.tensor.Shape;
import dev.evomerge.core.tensor.Tensor;
import dev.evomerge.core.tensor.TensorInfo;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Writes a complete, loadable Hugging Face model directory with deterministic random weights: config.json,
 * model.safetensors, tokenizer.json (byte-level BPE of exactly the vocabulary size), tokenizer_config.json,
 * special_tokens_map.json and generation_config.json. Weights: matrices N(0, 1/fan_in), embeddings and lm_head
 * N(0, 9/hidden) so logits spread over a few nats, norms 1 + N(0, 0.05^2), biases N(0, 0.05^2); each tensor draws from
 * its own stream of the seed, so the bytes depend only on the spec.
 */
public final class ModelSynthesizer {

    /** Shards are split above this size (bytes), mergekit's default. */
    public static final long MAX_SHARD_BYTES = 5_000_000_000L;

    private ModelSynthesizer() {
    }

    /** What was written. */
    public record Result(Path directory, ModelConfig config, List<TensorInfo> tensors) {

        public long parameters() {
            return tensors.stream().mapToLong(t -> t.shape().numel()).sum();
        }

        public long bytes() {
            return tensors.stream().mapToLong(TensorInfo::byteSize).sum();
        }
    }

    /** Validates the spec and writes the model to {@code out} (which must not exist or be empty), all or nothing. */
    public static Result write(SynthModelSpec spec, Path out) {
        spec.validate();
        ModelConfig config = ModelConfig.of(HfModelFiles.config(spec), out.resolve("config.json").toString());
        List<TensorInfo> plan = plan(spec, config);
        ByteLevelBpe bpe = ByteLevelBpe.train(SynthCorpus.text(), spec.vocabSize());
        try (AtomicDirectory dir = AtomicDirectory.create(out)) {
            Path tmp = dir.path();
            config.write(tmp.resolve("config.json"));
            HfModelFiles.write(tmp.resolve("generation_config.json"), HfModelFiles.generationConfig(), true);
            HfModelFiles.write(tmp.resolve("tokenizer.json"), bpe.tokenizerJson(), false);
            HfModelFiles.write(tmp.resolve("tokenizer_config.json"),
                    HfModelFiles.tokenizerConfig(config.maxPositionEmbeddings().orElseThrow()), false);
            HfModelFiles.write(tmp.resolve("special_tokens_map.json"), HfModelFiles.specialTokensMap(), false);
            try (SafetensorsWriter writer = SafetensorsWriter.create(tmp, plan, MAX_SHARD_BYTES)) {
                for (TensorInfo info : plan) {
                    try (Arena arena = Arena.ofConfined()) {
                        writer.accept(info.name(), initialize(info, spec.seed(), spec.hiddenSize(), arena));
                    }
                }
                writer.commit();
            }
            dir.commit();
            return new Result(dir.target(), config, plan);
        }
    }

    /**
     * The tensors of the model, sorted by name as safetensors' own writer orders tensors of one dtype; lm_head is
     * left out when the embeddings are tied.
     */
    static List<TensorInfo> plan(SynthModelSpec spec, ModelConfig config) {
        ArchitectureTemplate arch = Architectures.builtIn().find(config).orElseThrow(
                () -> new IllegalStateException("no template for " + config.architecture()));
        List<TensorInfo> plan = new ArrayList<>();
        for (WeightTemplate w : arch.allWeights(spec.numLayers())) {
            if (spec.tieEmbeddings() && !w.tiedNames().isEmpty()) {
                continue;
            }
            plan.add(new TensorInfo(w.name(), spec.dtype(), shape(w.name(), spec)));
        }
        plan.sort(Comparator.comparing(TensorInfo::name));
        return List.copyOf(plan);
    }

    /** The shape transformers gives a tensor of these architectures (weights are [out_features, in_features]). */
    static Shape shape(String name, SynthModelSpec s) {
        long h = s.hiddenSize();
        long q = (long) s.numHeads() * s.headDim();
        long kv = (long) s.numKvHeads() * s.headDim();
        long v = s.vocabSize();
        long i = s.intermediateSize();
        String suffix = name.substring(name.lastIndexOf('.', name.lastIndexOf('.') - 1) + 1);
        return switch (suffix) {
            case "embed_tokens.weight", "lm_head.weight" -> Shape.of(v, h);
            case "q_proj.weight" -> Shape.of(q, h);
            case "k_proj.weight", "v_proj.weight" -> Shape.of(kv, h);
            case "o_proj.weight" -> Shape.of(h, q);
            case "q_proj.bias" -> Shape.of(q);
            case "k_proj.bias", "v_proj.bias" -> Shape.of(kv);
            case "q_norm.weight", "k_norm.weight" -> Shape.of(s.headDim());
            case "gate_proj.weight", "up_proj.weight" -> Shape.of(i, h);
            case "down_proj.weight" -> Shape.of(h, i);
            case "input_layernorm.weight", "post_attention_layernorm.weight", "norm.weight" -> Shape.of(h);
            default -> throw new IllegalStateException("no synthetic shape for tensor " + name);
        };
    }

    /** One tensor's initial values, drawn from the stream named after the tensor. */
    static Tensor initialize(TensorInfo info, long seed, int hidden, Arena arena) {
        Tensor t = Tensor.allocate(info.dtype(), info.shape(), arena);
        SeededRandom rnd = SeededRandom.stream(seed, "synth/" + info.name());
        String name = info.name();
        long n = t.numel();
        if (name.endsWith("norm.weight")) {
            for (long k = 0; k < n; k++) {
                t.setDouble(k, 1.0 + 0.05 * rnd.nextGaussian());
            }
        } else if (name.endsWith(".bias")) {
            for (long k = 0; k < n; k++) {
                t.setDouble(k, 0.05 * rnd.nextGaussian());
            }
        } else {
            double std = name.endsWith("embed_tokens.weight") || name.endsWith("lm_head.weight")
                    ? 3.0 / StrictMath.sqrt(hidden)
                    : 1.0 / StrictMath.sqrt(info.shape().dim(info.shape().rank() - 1));
            for (long k = 0; k < n; k++) {
                t.setDouble(k, std * rnd.nextGaussian());
            }
        }
        return t;
    }
}
