package dev.evomerge.core.synth;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.io.AtomicDirectory;
import dev.evomerge.core.io.Reasons;
import dev.evomerge.core.model.ArchitectureTemplate;
import dev.evomerge.core.model.ModelDirectory;
import dev.evomerge.core.model.WeightTemplate;
import dev.evomerge.core.safetensors.SafetensorsModel;
import dev.evomerge.core.safetensors.SafetensorsWriter;
import dev.evomerge.core.tensor.Tensor;
import dev.evomerge.core.tensor.TensorInfo;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Derives a synthetic "fine-tune" from a base model: every tensor gets a delta shaped like real fine-tuning deltas,
 * so TIES sign election, DARE and magnitude pruning meet the structure they were designed for.
 *
 * <p>Matrices: delta = low-rank (rank {@value #RANK}) + sparse outliers (about {@value #SPARSE_PERCENT}% of entries,
 * 3-4x the low-rank scale, random sign) + dense noise (a quarter of the low-rank scale), rescaled so that its RMS is
 * {@code scale x layer factor x RMS(base tensor)}. Vectors (norms, biases): dense noise at a fifth of that. Layer
 * factors are exp(N(0, 0.25)), with one random layer tripled and another quartered, so some layers change much more
 * than others; embeddings and lm_head use factor 0.3, other tensors outside the layers 0.5. Config and tokenizer files
 * are copied unchanged.
 */
public final class FineTuneSynthesizer {

    static final int RANK = 4;
    static final int SPARSE_PERCENT = 3;
    static final double EMBEDDING_FACTOR = 0.3;
    static final double OTHER_FACTOR = 0.5;
    static final double VECTOR_FACTOR = 0.2;

    private FineTuneSynthesizer() {
    }

    /** Writes the fine-tune of {@code base} to {@code out} (which must not exist or be empty), all or nothing. */
    public static void write(Path base, Path out, long seed, double scale) {
        if (!(scale > 0) || Double.isInfinite(scale)) {
            throw EvomergeException.usage("--scale must be a positive number, got " + scale + ".");
        }
        try (ModelDirectory model = ModelDirectory.open(base);
             AtomicDirectory dir = AtomicDirectory.create(out)) {
            SafetensorsModel tensors = model.tensors();
            ArchitectureTemplate arch = model.architecture();
            int layers = arch.numLayers(model.config());
            double[] layerFactors = layerFactors(seed, layers);
            Map<String, Integer> layerOf = new HashMap<>();
            Map<String, Boolean> embedding = new HashMap<>();
            for (WeightTemplate w : arch.preWeights()) {
                embedding.put(w.name(), w.isEmbed());
            }
            for (WeightTemplate w : arch.postWeights()) {
                embedding.put(w.name(), w.isEmbed());
            }
            for (int layer = 0; layer < layers; layer++) {
                for (WeightTemplate w : arch.layerWeights(layer)) {
                    layerOf.put(w.name(), layer);
                    embedding.put(w.name(), w.isEmbed());
                }
            }
            List<TensorInfo> plan = new ArrayList<>();
            for (String name : tensors.tensorNames()) {
                plan.add(tensors.info(name).orElseThrow());
            }
            Path tmp = dir.path();
            copy(base.resolve(ModelDirectory.CONFIG_FILE), tmp.resolve(ModelDirectory.CONFIG_FILE));
            model.copyAuxiliaryFiles(tmp);
            try (SafetensorsWriter writer = SafetensorsWriter.create(tmp, plan, ModelSynthesizer.MAX_SHARD_BYTES)) {
                for (TensorInfo info : plan) {
                    double factor;
                    if (layerOf.containsKey(info.name())) {
                        factor = layerFactors[layerOf.get(info.name())];
                    } else {
                        factor = embedding.getOrDefault(info.name(), false) ? EMBEDDING_FACTOR : OTHER_FACTOR;
                    }
                    try (Arena arena = Arena.ofConfined()) {
                        writer.accept(info.name(), fineTune(tensors.tensor(info.name()), info.name(), seed,
                                scale * factor, arena));
                    }
                }
                writer.commit();
            }
            dir.commit();
        }
    }

    /** Per-layer change factors: exp(N(0, 0.25)), one random layer x3 and a different one x0.25. */
    static double[] layerFactors(long seed, int layers) {
        SeededRandom rnd = SeededRandom.stream(seed, "finetune/layers");
        double[] f = new double[layers];
        for (int i = 0; i < layers; i++) {
            f[i] = StrictMath.exp(0.5 * rnd.nextGaussian());
        }
        if (layers > 0) {
            int hot = rnd.nextInt(layers);
            f[hot] *= 3.0;
            if (layers > 1) {
                int cold = (hot + 1 + rnd.nextInt(layers - 1)) % layers;
                f[cold] *= 0.25;
            }
        }
        return f;
    }

    /**
     * base + delta for one tensor; relativeScale is the delta's RMS relative to the base tensor's RMS (a fifth of it
     * for vectors). Integer tensors are copied unchanged.
     */
    static Tensor fineTune(Tensor base, String name, long seed, double relativeScale, Arena arena) {
        long n = base.numel();
        Tensor out = Tensor.allocate(base.dtype(), base.shape(), arena);
        if (!base.dtype().isFloating()) {
            out.data().copyFrom(base.data());
            return out;
        }
        boolean matrix = base.shape().rank() == 2 && base.shape().dim(0) > 1 && base.shape().dim(1) > 1;
        SeededRandom rnd = SeededRandom.stream(seed, "finetune/" + name);
        double[] delta = matrix ? matrixDelta(base.shape().dim(0), base.shape().dim(1), rnd) : vectorDelta(n, rnd);
        double baseSq = 0;
        for (long k = 0; k < n; k++) {
            double v = base.getDouble(k);
            baseSq += v * v;
        }
        double deltaSq = 0;
        for (double d : delta) {
            deltaSq += d * d;
        }
        double baseRms = StrictMath.sqrt(baseSq / n);
        double deltaRms = StrictMath.sqrt(deltaSq / n);
        double gain = deltaRms == 0 ? 0 : relativeScale * baseRms / deltaRms * (matrix ? 1.0 : VECTOR_FACTOR);
        for (long k = 0; k < n; k++) {
            out.setDouble(k, base.getDouble(k) + gain * delta[(int) k]);
        }
        return out;
    }

    /** Low-rank + sparse + dense noise, in units of the low-rank part's entry scale (about 1). */
    static double[] matrixDelta(long rows, long cols, SeededRandom rnd) {
        int r = Math.toIntExact(rows);
        int c = Math.toIntExact(cols);
        double[] d = new double[Math.toIntExact(rows * cols)];
        double[] u = new double[r * RANK];
        double[] v = new double[RANK * c];
        for (int k = 0; k < u.length; k++) {
            u[k] = rnd.nextGaussian();
        }
        for (int k = 0; k < v.length; k++) {
            v[k] = rnd.nextGaussian();
        }
        double norm = 1.0 / StrictMath.sqrt(RANK);
        for (int i = 0; i < r; i++) {
            for (int j = 0; j < c; j++) {
                double s = 0;
                for (int k = 0; k < RANK; k++) {
                    s += u[i * RANK + k] * v[k * c + j];
                }
                double x = s * norm + 0.25 * rnd.nextGaussian();
                if (rnd.nextDouble() < SPARSE_PERCENT / 100.0) {
                    double magnitude = 3.0 + StrictMath.abs(rnd.nextGaussian());
                    x += rnd.nextDouble() < 0.5 ? -magnitude : magnitude;
                }
                d[i * c + j] = x;
            }
        }
        return d;
    }

    static double[] vectorDelta(long n, SeededRandom rnd) {
        double[] d = new double[Math.toIntExact(n)];
        for (int k = 0; k < d.length; k++) {
            d[k] = rnd.nextGaussian();
        }
        return d;
    }

    private static void copy(Path from, Path to) {
        try {
            Files.copy(from, to);
        } catch (IOException e) {
            throw EvomergeException.runtime("Cannot copy " + from + " to " + to + ": " + Reasons.of(e), e);
        }
    }
}
