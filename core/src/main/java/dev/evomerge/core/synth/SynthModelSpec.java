package dev.evomerge.core.synth;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.tensor.DType;

import java.util.Objects;

/**
 * The shape and seed of a synthetic model. {@link #defaults()} is the model {@code evomerge synth model OUT --seed 1}
 * writes; {@link #validate()} names the first inconsistent setting in one sentence.
 */
public record SynthModelSpec(
        SynthArch arch,
        int vocabSize,
        int hiddenSize,
        int numLayers,
        int numHeads,
        int numKvHeads,
        int intermediateSize,
        DType dtype,
        long seed,
        boolean tieEmbeddings,
        boolean llama3RopeScaling) {

    /** Three special tokens plus the 256 byte tokens: the smallest byte-level BPE vocabulary. */
    public static final int MIN_VOCAB = ByteLevelBpe.FIRST_MERGE_ID;
    /** Largest vocabulary the synthetic tokenizer fills. */
    public static final int MAX_VOCAB = 65536;

    public SynthModelSpec {
        Objects.requireNonNull(arch, "arch");
        Objects.requireNonNull(dtype, "dtype");
    }

    /** llama, vocab 512, hidden 64, 4 layers, 4 heads, 2 KV heads, intermediate 176, bf16, seed 1, untied. */
    public static SynthModelSpec defaults() {
        return new SynthModelSpec(SynthArch.LLAMA, 512, 64, 4, 4, 2, 176, DType.BF16, 1, false, false);
    }

    public int headDim() {
        return hiddenSize / numHeads;
    }

    /** Throws a usage error naming the first bad setting; returns this for chaining. */
    public SynthModelSpec validate() {
        if (vocabSize < MIN_VOCAB || vocabSize > MAX_VOCAB) {
            throw bad("--vocab must be between " + MIN_VOCAB + " (3 special tokens and 256 byte tokens) and "
                    + MAX_VOCAB + ", got " + vocabSize + ".");
        }
        positive("--hidden", hiddenSize);
        positive("--layers", numLayers);
        positive("--heads", numHeads);
        positive("--kv-heads", numKvHeads);
        positive("--intermediate", intermediateSize);
        if (hiddenSize % numHeads != 0) {
            throw bad("--hidden (" + hiddenSize + ") must be divisible by --heads (" + numHeads + ").");
        }
        if (numHeads % numKvHeads != 0) {
            throw bad("--heads (" + numHeads + ") must be divisible by --kv-heads (" + numKvHeads + ").");
        }
        if (headDim() % 2 != 0) {
            throw bad("--hidden / --heads (" + headDim() + ") must be even for rotary position embeddings.");
        }
        if (dtype != DType.BF16 && dtype != DType.F16 && dtype != DType.F32) {
            throw bad("--dtype must be bf16, fp16 or fp32, got " + dtype.torchName() + ".");
        }
        if (llama3RopeScaling && !arch.facts().hasRopeScaling()) {
            throw bad("--rope-scaling llama3 is not available for " + arch.modelType()
                    + ": its transformers config has no rope_scaling.");
        }
        long largest = Math.max((long) vocabSize * hiddenSize, (long) intermediateSize * hiddenSize);
        if (largest > Integer.MAX_VALUE) {
            throw bad("--vocab/--intermediate times --hidden must stay below 2^31 elements per tensor for synth, got "
                    + largest + ".");
        }
        return this;
    }

    private static void positive(String option, int value) {
        if (value < 1) {
            throw bad(option + " must be at least 1, got " + value + ".");
        }
    }

    private static EvomergeException bad(String sentence) {
        return EvomergeException.usage(sentence);
    }

    public SynthModelSpec withArch(SynthArch a) {
        return new SynthModelSpec(a, vocabSize, hiddenSize, numLayers, numHeads, numKvHeads, intermediateSize, dtype,
                seed, tieEmbeddings, llama3RopeScaling);
    }

    public SynthModelSpec withSeed(long s) {
        return new SynthModelSpec(arch, vocabSize, hiddenSize, numLayers, numHeads, numKvHeads, intermediateSize,
                dtype, s, tieEmbeddings, llama3RopeScaling);
    }

    public SynthModelSpec withDtype(DType d) {
        return new SynthModelSpec(arch, vocabSize, hiddenSize, numLayers, numHeads, numKvHeads, intermediateSize, d,
                seed, tieEmbeddings, llama3RopeScaling);
    }

    public SynthModelSpec withVocabSize(int v) {
        return new SynthModelSpec(arch, v, hiddenSize, numLayers, numHeads, numKvHeads, intermediateSize, dtype, seed,
                tieEmbeddings, llama3RopeScaling);
    }

    public SynthModelSpec withLayers(int n) {
        return new SynthModelSpec(arch, vocabSize, hiddenSize, n, numHeads, numKvHeads, intermediateSize, dtype, seed,
                tieEmbeddings, llama3RopeScaling);
    }

    /** A copy with a different width: hidden size, attention heads, KV heads and MLP width. */
    public SynthModelSpec withWidth(int hidden, int heads, int kvHeads, int intermediate) {
        return new SynthModelSpec(arch, vocabSize, hidden, numLayers, heads, kvHeads, intermediate, dtype, seed,
                tieEmbeddings, llama3RopeScaling);
    }

    public SynthModelSpec withTieEmbeddings(boolean tie) {
        return new SynthModelSpec(arch, vocabSize, hiddenSize, numLayers, numHeads, numKvHeads, intermediateSize,
                dtype, seed, tie, llama3RopeScaling);
    }

    public SynthModelSpec withLlama3RopeScaling(boolean on) {
        return new SynthModelSpec(arch, vocabSize, hiddenSize, numLayers, numHeads, numKvHeads, intermediateSize,
                dtype, seed, tieEmbeddings, on);
    }
}
