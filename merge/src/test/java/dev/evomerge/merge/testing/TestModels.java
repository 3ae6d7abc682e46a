package dev.evomerge.merge.testing;

import dev.evomerge.core.safetensors.SafetensorsModel;
import dev.evomerge.core.synth.FineTuneSynthesizer;
import dev.evomerge.core.synth.ModelSynthesizer;
import dev.evomerge.core.synth.SynthArch;
import dev.evomerge.core.synth.SynthModelSpec;
import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.Shape;
import dev.evomerge.core.tensor.Tensor;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Tiny synthetic models for merge tests, and tensors read back as doubles for independent expectations. */
public final class TestModels {

    /** Vocabulary of the tiny models: the byte-level minimum plus a few merges. */
    public static final int VOCAB = 272;
    public static final int HIDDEN = 16;

    private TestModels() {
    }

    /** A tiny model of {@code layers} layers. */
    public static SynthModelSpec spec(SynthArch arch, int layers, DType dtype, long seed, boolean tied) {
        return new SynthModelSpec(arch, VOCAB, HIDDEN, layers, 2, 1, 24, dtype, seed, tied, false);
    }

    /** Writes a tiny llama-type base model. */
    public static Path base(Path dir, String name, int layers, DType dtype, long seed) {
        return ModelSynthesizer.write(spec(SynthArch.LLAMA, layers, dtype, seed, false), dir.resolve(name))
                .directory();
    }

    /** Writes a model from a spec. */
    public static Path model(Path dir, String name, SynthModelSpec spec) {
        return ModelSynthesizer.write(spec, dir.resolve(name)).directory();
    }

    /** Writes a synthetic fine-tune of {@code base}. */
    public static Path fineTune(Path base, Path dir, String name, long seed) {
        Path out = dir.resolve(name);
        FineTuneSynthesizer.write(base, out, seed, 0.5);
        return out;
    }

    /** A stored tensor as doubles, and its shape. */
    public record Values(Shape shape, DType dtype, double[] data) {
        public double get(long i) {
            return data[(int) i];
        }
    }

    /** Every tensor of a model directory, as doubles. */
    public static Map<String, Values> read(Path model) {
        Map<String, Values> out = new LinkedHashMap<>();
        try (SafetensorsModel m = SafetensorsModel.open(model)) {
            for (String name : m.tensorNames()) {
                Tensor t = m.tensor(name);
                double[] d = new double[(int) t.numel()];
                for (int i = 0; i < d.length; i++) {
                    d[i] = t.getDouble(i);
                }
                out.put(name, new Values(t.shape(), t.dtype(), d));
            }
        }
        return out;
    }

    /** The tensor names of a model directory in storage order. */
    public static List<String> names(Path model) {
        try (SafetensorsModel m = SafetensorsModel.open(model)) {
            return m.tensorNames();
        }
    }

    /** A double rounded to the nearest value of {@code dtype} (ties to even), as a double. */
    public static double round(double v, DType dtype) {
        Tensor t = Tensor.allocate(dtype, Shape.of(1));
        t.setDouble(0, v);
        return t.getDouble(0);
    }
}
