package dev.evomerge.core.synth;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.safetensors.SafetensorsModel;
import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** The statistical structure of synthetic fine-tune deltas. */
class FineTuneSynthesizerTest {

    static final int LAYERS = 6;
    static final String[] MATRICES = {"self_attn.q_proj.weight", "self_attn.k_proj.weight", "self_attn.v_proj.weight",
            "self_attn.o_proj.weight", "mlp.gate_proj.weight", "mlp.up_proj.weight", "mlp.down_proj.weight"};

    @TempDir
    static Path tmp;
    static Path base;
    static Path ftA;
    static Path ftB;
    static Path ftA2;

    @BeforeAll
    static void synthesize() {
        // fp32 so that the deltas are not blurred by bf16 rounding
        base = tmp.resolve("base");
        ModelSynthesizer.write(SynthModelSpec.defaults().withDtype(DType.F32).withLayers(LAYERS), base);
        ftA = tmp.resolve("ftA");
        FineTuneSynthesizer.write(base, ftA, 11, 0.1);
        ftB = tmp.resolve("ftB");
        FineTuneSynthesizer.write(base, ftB, 12, 0.1);
        ftA2 = tmp.resolve("ftA2");
        FineTuneSynthesizer.write(base, ftA2, 11, 0.2);
    }

    static double[] delta(Path ft, String name) {
        try (SafetensorsModel b = SafetensorsModel.open(base); SafetensorsModel f = SafetensorsModel.open(ft)) {
            Tensor x = b.tensor(name);
            Tensor y = f.tensor(name);
            double[] d = new double[(int) x.numel()];
            for (int i = 0; i < d.length; i++) {
                d[i] = y.getDouble(i) - x.getDouble(i);
            }
            return d;
        }
    }

    static double[] values(Path model, String name) {
        try (SafetensorsModel m = SafetensorsModel.open(model)) {
            Tensor t = m.tensor(name);
            double[] v = new double[(int) t.numel()];
            for (int i = 0; i < v.length; i++) {
                v[i] = t.getDouble(i);
            }
            return v;
        }
    }

    static double rms(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x * x;
        }
        return Math.sqrt(s / v.length);
    }

    /** Robust scale estimate: median(|x|) / 0.6745 equals sigma for a normal distribution. */
    static double robustSigma(double[] v) {
        double[] a = Arrays.stream(v).map(Math::abs).sorted().toArray();
        return a[a.length / 2] / 0.6745;
    }

    static double outlierFraction(double[] v) {
        double threshold = 3.5 * robustSigma(v);
        return (double) Arrays.stream(v).filter(x -> Math.abs(x) > threshold).count() / v.length;
    }

    @Test
    void aFewPercentOfEntriesAreLargeOutliers() {
        for (String m : List.of("model.layers.2.mlp.up_proj.weight", "model.layers.4.self_attn.o_proj.weight")) {
            double[] d = delta(ftA, m);
            // sparse part: 3% of entries at 3-4x the low-rank scale; a Gaussian has 0.05% beyond 3.5 sigma
            assertThat(outlierFraction(d)).as(m).isBetween(0.012, 0.05);
            assertThat(outlierFraction(values(base, m))).as("base " + m).isLessThan(0.003);
        }
    }

    @Test
    void withoutItsOutliersADeltaIsNearlyRankFour() {
        String name = "model.layers.1.mlp.gate_proj.weight"; // [176, 64]
        double[] d = delta(ftA, name);
        double threshold = 3.5 * robustSigma(d);
        double[] dense = Arrays.stream(d).map(x -> Math.abs(x) > threshold ? 0 : x).toArray();
        double[] eig = topEigenvaluesOfGram(dense, 176, 64, 5);
        double total = Arrays.stream(dense).map(x -> x * x).sum();
        double top4 = eig[0] + eig[1] + eig[2] + eig[3];
        // measured 0.77 and 0.17 for these seeds; the outliers that the threshold misses and the zeroed entries
        // keep the share below 1
        assertThat(top4 / total).isGreaterThan(0.7);
        assertThat(eig[4] / eig[3]).isLessThan(0.25); // a clear gap after the fourth singular value
        // the base weights (i.i.d. normal) have no such structure
        double[] w = values(base, name);
        double[] weig = topEigenvaluesOfGram(w, 176, 64, 4);
        assertThat((weig[0] + weig[1] + weig[2] + weig[3]) / Arrays.stream(w).map(x -> x * x).sum()).isLessThan(0.25);
    }

    /** Largest eigenvalues of A^T A (squared singular values of A, rows x cols) by power iteration with deflation. */
    static double[] topEigenvaluesOfGram(double[] a, int rows, int cols, int k) {
        double[][] g = new double[cols][cols];
        for (int i = 0; i < cols; i++) {
            for (int j = 0; j < cols; j++) {
                double s = 0;
                for (int r = 0; r < rows; r++) {
                    s += a[r * cols + i] * a[r * cols + j];
                }
                g[i][j] = s;
            }
        }
        double[] out = new double[k];
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(3);
        for (int e = 0; e < k; e++) {
            double[] v = rnd.doubles(cols).toArray();
            double lambda = 0;
            for (int it = 0; it < 500; it++) {
                double[] next = new double[cols];
                for (int i = 0; i < cols; i++) {
                    for (int j = 0; j < cols; j++) {
                        next[i] += g[i][j] * v[j];
                    }
                }
                double norm = Math.sqrt(Arrays.stream(next).map(x -> x * x).sum());
                lambda = norm;
                for (int i = 0; i < cols; i++) {
                    v[i] = next[i] / norm;
                }
            }
            out[e] = lambda;
            for (int i = 0; i < cols; i++) {
                for (int j = 0; j < cols; j++) {
                    g[i][j] -= lambda * v[i] * v[j];
                }
            }
        }
        return out;
    }

    static double[] layerChange(Path ft) {
        double[] change = new double[LAYERS];
        for (int l = 0; l < LAYERS; l++) {
            double sum = 0;
            for (String m : MATRICES) {
                String name = "model.layers." + l + "." + m;
                sum += rms(delta(ft, name)) / rms(values(base, name));
            }
            change[l] = sum / MATRICES.length;
        }
        return change;
    }

    @Test
    void someLayersChangeMuchMoreThanOthers() {
        for (Path ft : List.of(ftA, ftB)) {
            double[] change = layerChange(ft);
            double max = Arrays.stream(change).max().orElseThrow();
            double min = Arrays.stream(change).min().orElseThrow();
            assertThat(max / min).as(Arrays.toString(change)).isGreaterThan(4.0);
            // within a layer every matrix gets the same relative change (the layer factor times the scale)
            double mean = Arrays.stream(change).average().orElseThrow();
            assertThat(mean).isBetween(0.05, 0.3);
        }
        // the hot layer depends on the seed
        assertThat(argmax(layerChange(ftA)) == argmax(layerChange(ftB))
                && argmin(layerChange(ftA)) == argmin(layerChange(ftB))).isFalse();
    }

    private static int argmax(double[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            best = v[i] > v[best] ? i : best;
        }
        return best;
    }

    private static int argmin(double[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            best = v[i] < v[best] ? i : best;
        }
        return best;
    }

    @Test
    void normsAndEmbeddingsChangeButLessThanLayerMatrices() {
        double meanLayer = Arrays.stream(layerChange(ftA)).average().orElseThrow();
        for (String name : List.of("model.embed_tokens.weight", "lm_head.weight")) {
            double rel = rms(delta(ftA, name)) / rms(values(base, name));
            assertThat(rel).as(name).isGreaterThan(0).isLessThan(0.5 * meanLayer);
        }
        for (String name : List.of("model.norm.weight", "model.layers.3.input_layernorm.weight")) {
            double rel = rms(delta(ftA, name)) / rms(values(base, name));
            assertThat(rel).as(name).isGreaterThan(0).isLessThan(0.5 * meanLayer);
        }
    }

    @Test
    void independentFineTunesDisagreeInSignAboutHalfTheTime() {
        // what TIES sign election resolves: two fine-tunes of one base with independent deltas
        double[] a = delta(ftA, "model.layers.0.mlp.down_proj.weight");
        double[] b = delta(ftB, "model.layers.0.mlp.down_proj.weight");
        int agree = 0;
        for (int i = 0; i < a.length; i++) {
            agree += Math.signum(a[i]) == Math.signum(b[i]) ? 1 : 0;
        }
        assertThat((double) agree / a.length).isCloseTo(0.5, within(0.05));
    }

    @Test
    void scaleMultipliesTheDelta() {
        double[] one = delta(ftA, "model.layers.5.self_attn.v_proj.weight");
        double[] two = delta(ftA2, "model.layers.5.self_attn.v_proj.weight");
        for (int i = 0; i < one.length; i += 97) {
            assertThat(two[i]).isCloseTo(2 * one[i], within(1e-6 + 1e-5 * Math.abs(one[i])));
        }
    }

    @Test
    void configAndTokenizerFilesAreCopiedAndTensorsKeepDtypeAndShape() throws Exception {
        for (String f : List.of("config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                "generation_config.json")) {
            assertThat(Files.readAllBytes(ftA.resolve(f))).as(f).isEqualTo(Files.readAllBytes(base.resolve(f)));
        }
        try (SafetensorsModel b = SafetensorsModel.open(base); SafetensorsModel f = SafetensorsModel.open(ftA)) {
            assertThat(f.tensorNames()).isEqualTo(b.tensorNames());
            for (String n : b.tensorNames()) {
                assertThat(f.info(n)).isEqualTo(b.info(n));
            }
        }
    }

    @Test
    void sameSeedGivesTheSameFileAndBadScalesAreRejected() throws Exception {
        Path again = tmp.resolve("ftA-again");
        FineTuneSynthesizer.write(base, again, 11, 0.1);
        assertThat(Files.readAllBytes(again.resolve("model.safetensors")))
                .isEqualTo(Files.readAllBytes(ftA.resolve("model.safetensors")));
        assertThatThrownBy(() -> FineTuneSynthesizer.write(base, tmp.resolve("x"), 1, 0))
                .isInstanceOf(EvomergeException.class).hasMessage("--scale must be a positive number, got 0.0.");
        assertThatThrownBy(() -> FineTuneSynthesizer.write(tmp.resolve("missing"), tmp.resolve("y"), 1, 0.1))
                .isInstanceOf(EvomergeException.class)
                .hasMessage("Model directory " + tmp.resolve("missing") + " does not exist.");
        assertThat(tmp.resolve("x")).doesNotExist();
        assertThat(tmp.resolve("y")).doesNotExist();
    }

    @Test
    void bf16BaseKeepsItsDtypeAndStillChanges(@TempDir Path dir) {
        Path b16 = dir.resolve("b");
        ModelSynthesizer.write(ModelSynthesizerTest.SMALL, b16);
        FineTuneSynthesizer.write(b16, dir.resolve("f"), 3, 0.05);
        try (SafetensorsModel b = SafetensorsModel.open(b16);
             SafetensorsModel f = SafetensorsModel.open(dir.resolve("f"))) {
            String name = "model.layers.0.mlp.up_proj.weight";
            assertThat(f.info(name).orElseThrow().dtype()).isEqualTo(DType.BF16);
            Tensor x = b.tensor(name);
            Tensor y = f.tensor(name);
            long changed = 0;
            for (long i = 0; i < x.numel(); i++) {
                changed += x.getFloat(i) != y.getFloat(i) ? 1 : 0;
            }
            assertThat((double) changed / x.numel()).isGreaterThan(0.5);
        }
    }
}
