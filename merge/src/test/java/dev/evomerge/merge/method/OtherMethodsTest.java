package dev.evomerge.merge.method;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;

import static dev.evomerge.merge.method.Fx.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** model_stock, nearswap, arcee_fusion, sce, ram and ramplus_tl, computed as mergekit does (docs/merging.md). */
class OtherMethodsTest {

    // ---- model_stock ----

    @Test
    void modelStockOrthogonalTaskVectorsKeepTheBase() {
        // cos = 0 -> t = 0 -> exactly the base
        float[] got = values(run("model_stock", merge("b", p(), in("b", f32(1, 1)), in("x", f32(2, 1)),
                in("y", f32(1, 2)))));
        assertThat(got).containsExactly(1f, 1f);
    }

    @Test
    void modelStockAngleFormula() {
        // offsets (1, 0) and (0.5, √3/2): cos 60° = 0.5, t = 2·0.5 / (1 + 0.5) = 2/3;
        // result = base + t·mean(offsets) = (1, 1) + 2/3·(0.75, √3/4).
        double s = Math.sqrt(3) / 2;
        float[] got = values(run("model_stock", merge("b", p(), in("b", f32(1, 1)), in("x", f32(2, 1)),
                in("y", f32(1.5, 1 + s)))));
        assertThat((double) got[0]).isCloseTo(1 + 2.0 / 3 * 0.75, within(1e-6));
        assertThat((double) got[1]).isCloseTo(1 + 2.0 / 3 * s / 2, within(1e-6));
    }

    @Test
    void modelStockThreeModelsAverageThePairwiseCosines() {
        double[] b = {0.5, -0.25, 1};
        double[][] x = {{1.5, 0.25, 1.5}, {0.75, 0.75, 0.5}, {1, -1, 2}};
        int n = 3;
        double[][] o = new double[n][3];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < 3; j++) {
                o[i][j] = x[i][j] - b[j];
            }
        }
        double cos = 0;
        for (int i = 0; i < n; i++) {
            for (int k = i + 1; k < n; k++) {
                double dot = o[i][0] * o[k][0] + o[i][1] * o[k][1] + o[i][2] * o[k][2];
                cos += dot / (SlerpFamilyTest.norm(o[i]) * SlerpFamilyTest.norm(o[k])) / 3;
            }
        }
        double t = n * cos / (1 + (n - 1) * cos);
        float[] got = values(run("model_stock", merge("b", p(), in("b", f32(b)), in("x", f32(x[0])),
                in("y", f32(x[1])), in("z", f32(x[2])))));
        for (int j = 0; j < 3; j++) {
            double avg = (x[0][j] + x[1][j] + x[2][j]) / 3;
            assertThat((double) got[j]).isCloseTo(t * avg + (1 - t) * b[j], within(1e-6));
        }
    }

    @Test
    void modelStockFilterWiseUsesOneTPerRow() {
        // row 0: orthogonal offsets -> base row; row 1: identical offsets (cos 1 -> t = 1) -> mean row.
        Tensor b = t(DType.F32, shape(2, 2), 0, 0, 0, 0);
        Tensor x = t(DType.F32, shape(2, 2), 1, 0, 2, 2);
        Tensor y = t(DType.F32, shape(2, 2), 0, 1, 2, 2);
        assertThat(values(run("model_stock", merge("b", p("filter_wise", true), in("b", b), in("x", x), in("y", y)))))
                .containsExactly(0f, 0f, 2f, 2f);
        // whole-tensor: offsets (1,0,2,2)·(0,1,2,2) = 8, norms 3 and 3 -> cos 8/9, t = 16/9 / (17/9) = 16/17
        float[] whole = values(run("model_stock", merge("b", p(), in("b", b), in("x", x), in("y", y))));
        assertThat((double) whole[0]).isCloseTo(16.0 / 17 * 0.5, within(1e-6));
        assertThat((double) whole[2]).isCloseTo(16.0 / 17 * 2, within(1e-6));
    }

    @Test
    void modelStockNeedsTwoOtherModels() {
        assertThatThrownBy(() -> run("model_stock", merge("b", p(), in("b", f32(1)), in("x", f32(2)))))
                .isInstanceOf(EvomergeException.class).hasMessageContaining("at least two");
    }

    // ---- nearswap ----

    @Test
    void nearswapTakesCloseValues() {
        // t = 0.5: |a-b| = [0, 0.5, 2, 0.25] -> w = [1 (clamped), 1, 0.25, 1 (clamped)]
        float[] got = values(run("nearswap", merge("a", p("t", 0.5), in("a", f32(1, 1, 1, 1)),
                in("b", f32(1, 1.5, 3, 1.25)))));
        assertThat(got).containsExactly(1f, 1.5f, 1.5f, 1.25f);
        assertThatThrownBy(() -> run("nearswap", merge("a", p(), in("a", f32(1)), in("b", f32(2)))))
                .hasMessage("Method nearswap needs parameter 't' for tensor model.layers.0.mlp.w.");
    }

    @Test
    void nearswapBf16UsesTheReciprocalTimesT() {
        // |a-b| = 3 (bf16); torch computes t / x as reciprocal(x)·t: bf16(1/3) = 0.333984375, ·0.9 = 0.3005859375
        // -> bf16 0.30078125; result = 0.30078125·4 + bf16(1 - 0.30078125)·1 = 1.203125 + 0.69921875 = 1.90234375
        // -> bf16 1.8984375 or 1.90625? 1.90234375 lies exactly between them; ties-to-even picks 1.90625
        // (1.90625 = 1 + 116/128, even mantissa).
        float[] got = values(run("nearswap", merge("a", p("t", 0.9), in("a", bf16(1)), in("b", bf16(4)))));
        assertThat(got).containsExactly(1.90625f);
    }

    // ---- arcee_fusion ----

    @Test
    void arceeFusionKeepsOnlyHighImportanceChanges() {
        int rows = 6;
        int cols = 8;
        SplittableRandom rnd = new SplittableRandom(5);
        double[] a = new double[rows * cols];
        double[] b = new double[rows * cols];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) (rnd.nextGaussian() * 0.5);
            b[i] = (float) (a[i] + rnd.nextGaussian() * 0.05);
        }
        b[13] = (float) (a[13] + 3); // one large change
        // float64 reference: importance = |b-a| · KL(softmax(b_row) + 1e-8 ‖ softmax(a_row) + 1e-8)
        double[] imp = new double[a.length];
        for (int r = 0; r < rows; r++) {
            double[] p = softmax(b, r * cols, cols);
            double[] q = softmax(a, r * cols, cols);
            double kl = 0;
            for (int j = 0; j < cols; j++) {
                kl += p[j] * Math.log(p[j] / q[j]);
            }
            for (int j = 0; j < cols; j++) {
                imp[r * cols + j] = Math.abs(b[r * cols + j] - a[r * cols + j]) * kl;
            }
        }
        double[] sorted = imp.clone();
        java.util.Arrays.sort(sorted);
        int last = sorted.length - 1;
        double thr = sorted[(int) (0.5 * last)] + 1.5 * (sorted[(int) (0.75 * last)] - sorted[(int) (0.25 * last)]);
        Tensor ta = t(DType.F32, shape(rows, cols), a);
        Tensor tb = t(DType.F32, shape(rows, cols), b);
        float[] got = values(run("arcee_fusion", merge("a", p(), in("a", ta), in("b", tb))));
        int taken = 0;
        for (int i = 0; i < a.length; i++) {
            assertThat(Math.abs(imp[i] - thr)).as("element %d is not borderline", i).isGreaterThan(1e-6 * thr);
            // taken: a + (b - a) in float32 (not b itself)
            float want = imp[i] >= thr ? (float) a[i] + ((float) b[i] - (float) a[i]) : (float) a[i];
            assertThat(got[i]).as("element %d", i).isEqualTo(want);
            taken += imp[i] >= thr ? 1 : 0;
        }
        assertThat(taken).isBetween(1, a.length / 2);
        assertThat(got[13]).isEqualTo((float) a[13] + ((float) b[13] - (float) a[13]));
    }

    private static double[] softmax(double[] x, int off, int n) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j++) {
            max = Math.max(max, x[off + j]);
        }
        double s = 0;
        double[] e = new double[n];
        for (int j = 0; j < n; j++) {
            e[j] = Math.exp(x[off + j] - max);
            s += e[j];
        }
        for (int j = 0; j < n; j++) {
            e[j] = e[j] / s + 1e-8;
        }
        return e;
    }

    @Test
    void arceeFusionSamplesQuantilesOnTensorsOverAMillionElements() {
        int rows = 1001;
        int cols = 1000;
        Tensor a = Tensor.allocate(DType.BF16, dev.evomerge.core.tensor.Shape.of(rows, cols));
        Tensor b = Tensor.allocate(DType.BF16, dev.evomerge.core.tensor.Shape.of(rows, cols));
        for (int i = 0; i < rows * cols; i++) {
            b.setFloat(i, (i % 7) / 8f);
        }
        FixedMasks masks = new FixedMasks();
        Tensor r = MergeMethods.byName("arcee_fusion").merge(merge("a", p(), in("a", a), in("b", b)).withMasks(masks));
        assertThat(masks.keys).containsExactly(new MaskSource.MaskKey("model.layers.0.mlp.w", "", "arcee_fusion"));
        // evomerge keeps the work dtype (mergekit returns float32 here, issue #604)
        assertThat(r.dtype()).isEqualTo(DType.BF16);
    }

    // ---- sce ----

    @Test
    void sceEqualEnergiesEraseMinoritySigns() {
        // τ1 = [1, -2, 3, 0], τ2 = [3, 2, -1, 0]: mean squares 3.5 and 3.5 -> weights 0.5, 0.5;
        // votes [+, 0 -> +, +, 0 -> +]: j0 (0.5+1.5)/1; j1 only τ2: 1/0.5; j2 only τ1: 1.5/0.5; j3 none: 0/1e-6.
        float[] got = values(run("sce", merge("b", p(), in("b", f32(0, 0, 0, 0)), in("x", f32(1, -2, 3, 0)),
                in("y", f32(3, 2, -1, 0)))));
        assertThat(got).containsExactly(2f, 2f, 3f, 0f);
    }

    @Test
    void sceWeightsByMeanSquare() {
        // τ2 = [2, 2, -2, 2]: s = [3.5, 4] -> w = [7/15, 8/15]; j0 both +: (7/15·1 + 8/15·2) / 1.
        float[] got = values(run("sce", merge("b", p(), in("b", f32(0, 0, 0, 0)), in("x", f32(1, -2, 3, 0)),
                in("y", f32(2, 2, -2, 2)))));
        double w1 = 3.5 / 7.5;
        double w2 = 4 / 7.5;
        assertThat((double) got[0]).isCloseTo(w1 * 1 + w2 * 2, within(1e-6));
        // j1 votes 0 -> +: only τ2 (2) -> 2; j2 votes +1: only τ1 (3) -> 3; j3 votes +: only τ2 -> 2
        assertThat((double) got[1]).isCloseTo(2, within(1e-6));
        assertThat((double) got[2]).isCloseTo(3, within(1e-6));
        assertThat((double) got[3]).isCloseTo(2, within(1e-6));
    }

    @Test
    void sceSelectTopkKeepsHighVariancePositions() {
        // var = [1, 4, 4, 0]; 3 non-zero -> k = int(0.5·3) = 1: the tie between idx 1 and 2 goes to idx 1.
        float[] got = values(run("sce", merge("b", p("select_topk", 0.5), in("b", f32(0, 0, 0, 0)),
                in("x", f32(1, -2, 3, 0)), in("y", f32(3, 2, -1, 0)))));
        assertThat(got).containsExactly(0f, 2f, 0f, 0f);
    }

    @Test
    void sceTopkCountIsAFloat32Product() {
        // 100 non-zero variances, select_topk 0.29: torch computes count_nonzero · 0.29 as a float32 tensor (29.0),
        // a double product would be 28.999999999999996 and keep 28 positions.
        double[] zero = new double[100];
        double[] x = new double[100];
        for (int j = 0; j < 100; j++) {
            x[j] = j + 1;
        }
        float[] got = values(run("sce", merge("b", p("select_topk", 0.29), in("b", f32(zero)), in("x", f32(x)),
                in("y", f32(zero)))));
        int kept = 0;
        for (int j = 0; j < 100; j++) {
            // the 29 largest variances are the last 29 positions; there the result is x's task vector
            assertThat(got[j]).as("position %d", j).isEqualTo(j >= 71 ? (float) x[j] : 0f);
            kept += got[j] != 0f ? 1 : 0;
        }
        assertThat(kept).isEqualTo(29);
    }

    // ---- ram / ramplus_tl ----

    @Test
    void ramAveragesOverlapsAndKeepsUniqueContributions() {
        // τ1 = [1, 0, 2, 1e-6], τ2 = [3, 4, 0, 0]; |τ| > 1e-5 counts: [2, 1, 1, 0]
        float[] got = values(run("ram", merge("b", p(), in("b", f32(0, 0, 0, 0)), in("x", f32(1, 0, 2, 1e-6)),
                in("y", f32(3, 4, 0, 0)))));
        assertThat(got).containsExactly(2f, 4f, 2f, 0f);
    }

    @Test
    void ramplusScalesUniqueContributions() {
        // each model: shared 1, unique 1 -> ρ = 1 -> clamp to alpha 0.2 -> λ = 1 + 0.1·0.2
        float lambda = 1f + 0.1f * 0.2f;
        float[] got = values(run("ramplus_tl", merge("b", p(), in("b", f32(0, 0, 0, 0)),
                in("x", f32(1, 0, 2, 1e-6)), in("y", f32(3, 4, 0, 0)))));
        assertThat(got).containsExactly(2f, 4f * lambda, 2f * lambda, 0f);
        // ρ below alpha: model x has 1 shared, 10 unique entries -> ρ = 0.1 -> λ = 1 + 0.1·0.1
        double[] x = new double[12];
        double[] y = new double[12];
        x[0] = 1;
        y[0] = 1;
        for (int i = 1; i <= 10; i++) {
            x[i] = 1;
        }
        y[11] = 1;
        float[] got2 = values(run("ramplus_tl", merge("b", p(), in("b", f32(new double[12])), in("x", f32(x)),
                in("y", f32(y)))));
        assertThat(got2[1]).isEqualTo(1f + 0.1f * (1f / 10f));
        assertThat(got2[0]).isEqualTo(1f);
        assertThat(got2[11]).isEqualTo(1f + 0.1f * 0.2f); // y: 1 shared, 1 unique -> clamped
    }

    @Test
    void decoratorMethodsNeedTheBaseAndEqualShapes() {
        for (String m : List.of("sce", "ram", "ramplus_tl", "nearswap", "arcee_fusion", "model_stock")) {
            assertThatThrownBy(() -> run(m, merge(null, p("t", 0.1), in("x", f32(1)), in("y", f32(2)))))
                    .as(m).hasMessageContaining(m).hasMessageContaining("base_model");
        }
        assertThatThrownBy(() -> run("ram", merge("b", p(), in("b", f32(1, 2)), in("x", f32(1, 2, 3)))))
                .hasMessageContaining("size mismatch");
    }
}
