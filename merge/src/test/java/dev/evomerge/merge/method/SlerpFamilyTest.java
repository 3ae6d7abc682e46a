package dev.evomerge.merge.method;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.SplittableRandom;

import static dev.evomerge.merge.method.Fx.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** slerp, nuslerp, multislerp and karcher against float64 formulas of mergekit's, written here. */
class SlerpFamilyTest {

    private static final double H = Math.sqrt(0.5);

    /** Textbook slerp in double: s0·v0 + s1·v1 with θ the angle between the directions. */
    static double[] slerp64(double t, double[] v0, double[] v1) {
        double n0 = norm(v0);
        double n1 = norm(v1);
        double dot = 0;
        for (int i = 0; i < v0.length; i++) {
            dot += v0[i] / n0 * v1[i] / n1;
        }
        double th = Math.acos(dot);
        double[] r = new double[v0.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = Math.sin((1 - t) * th) / Math.sin(th) * v0[i] + Math.sin(t * th) / Math.sin(th) * v1[i];
        }
        return r;
    }

    static double norm(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x * x;
        }
        return Math.sqrt(s);
    }

    private static float[] slerp(double t, Tensor base, Tensor other) {
        return values(run("slerp", merge("base", p("t", t), in("base", base), in("other", other))));
    }

    @Test
    void slerpOfOrthogonalUnitVectorsIsOnTheArc() {
        float[] r = slerp(0.5, f32(1, 0), f32(0, 1));
        assertThat(r[0]).isCloseTo((float) H, within(1e-6f));
        assertThat(r[1]).isCloseTo((float) H, within(1e-6f));
        float[] third = slerp(1.0 / 3, f32(2, 0), f32(0, 2));
        // 30° along the arc of radius 2
        assertThat(third[0]).isCloseTo((float) (2 * Math.cos(Math.PI / 6)), within(1e-6f));
        assertThat(third[1]).isCloseTo((float) (2 * Math.sin(Math.PI / 6)), within(1e-6f));
    }

    @Test
    void slerpEndsSelectBaseAndOtherExactly() {
        Tensor a = f32(0.3, -1.7, 2.5, 0.01);
        Tensor b = f32(1.1, 0.4, -0.2, 3.0);
        assertThat(slerp(0, a, b)).containsExactly(values(a));
        assertThat(slerp(1, a, b)).containsExactly(values(b));
        // the input order does not matter: the base is always the t = 0 end
        assertThat(values(run("slerp", merge("base", p("t", 0), in("other", b), in("base", a))))).containsExactly(values(a));
    }

    @Test
    void slerpMatchesFloat64FormulaOnRandomVectors() {
        SplittableRandom rnd = new SplittableRandom(1);
        for (int rep = 0; rep < 20; rep++) {
            double[] v0 = new double[33];
            double[] v1 = new double[33];
            for (int i = 0; i < 33; i++) {
                v0[i] = (float) rnd.nextGaussian();
                v1[i] = (float) rnd.nextGaussian();
            }
            double t = rnd.nextDouble();
            float[] got = slerp(t, f32(v0), f32(v1));
            double[] want = slerp64(t, v0, v1);
            for (int i = 0; i < 33; i++) {
                assertThat((double) got[i]).isCloseTo(want[i], within(2e-6 * (1 + Math.abs(want[i]))));
            }
        }
    }

    @Test
    void nearlyColinearInputsAreLinearlyInterpolated() {
        // v1 = 2·v0 + tiny: cos > 0.9995 -> (1-t)·v0 + t·v1 in float32.
        float[] got = slerp(0.3, f32(1, 2, 3), f32(2, 4, 6.001));
        float a = (float) (1 - 0.3);
        float b = 0.3f;
        assertThat(got).containsExactly(a * 1f + b * 2f, a * 2f + b * 4f, a * 3f + b * 6.001f);
    }

    @Test
    void tinyNormsAreNotNormalised() {
        // Both norms ≤ 1e-8: the raw vectors enter the dot (≈ 1e-18), so θ = π/2 and the result is the usual slerp
        // coefficients applied to the raw vectors.
        float[] got = slerp(0.5, f32(1e-9, 0), f32(0, 1e-9));
        assertThat((double) got[0]).isCloseTo(H * 1e-9, within(1e-15));
        assertThat((double) got[1]).isCloseTo(H * 1e-9, within(1e-15));
    }

    @Test
    void slerpRoundsToBf16Once() {
        // t = 0.5 between (1, 0) and (0, 1): √½ = 0.70710677 -> bf16 0.70703125.
        float[] got = values(run("slerp", merge("base", p("t", 0.5), in("base", bf16(1, 0)), in("o", bf16(0, 1)))));
        assertThat(got).containsExactly(0.70703125f, 0.70703125f);
    }

    @Test
    void slerpNeedsT() {
        assertThatThrownBy(() -> run("slerp", merge("base", p(), in("base", f32(1)), in("o", f32(2)))))
                .isInstanceOf(EvomergeException.class)
                .hasMessage("Method slerp needs parameter 't' for tensor model.layers.0.mlp.w.");
    }

    // ---- nuslerp ----

    /**
     * All 8 combinations of (flatten, row_wise, base) on a 2×2 matrix, against slerp64 applied to the vectors each
     * combination interpolates: flatten -> the whole matrix; else rows (or columns when row_wise).
     */
    @ParameterizedTest
    @CsvSource({
            "true, false, false", "true, true, false", "false, false, false", "false, true, false",
            "true, false, true", "true, true, true", "false, false, true", "false, true, true"})
    void nuslerpCombinations(boolean flatten, boolean rowWise, boolean withBase) {
        double[] a = {1, 0.5, -0.25, 2};
        double[] b = {0.5, 1.5, 1, -0.75};
        double[] base = {0.25, -0.5, 0.5, 0.125};
        double w1 = 1;
        double w2 = 3;
        double t = w2 / (w1 + w2);
        double[] v0 = a.clone();
        double[] v1 = b.clone();
        if (withBase) {
            for (int i = 0; i < 4; i++) {
                v0[i] -= base[i];
                v1[i] -= base[i];
            }
        }
        double[] want = new double[4];
        if (flatten) {
            want = slerp64(t, v0, v1);
        } else {
            int[][] groups = rowWise ? new int[][] {{0, 2}, {1, 3}} : new int[][] {{0, 1}, {2, 3}};
            for (int[] g : groups) {
                double[] r = slerp64(t, new double[] {v0[g[0]], v0[g[1]]}, new double[] {v1[g[0]], v1[g[1]]});
                want[g[0]] = r[0];
                want[g[1]] = r[1];
            }
        }
        if (withBase) {
            for (int i = 0; i < 4; i++) {
                want[i] += base[i];
            }
        }
        MergeInputs.InputTensor ia = in("a", t(DType.F32, shape(2, 2), a), "weight", w1);
        MergeInputs.InputTensor ib = in("b", t(DType.F32, shape(2, 2), b), "weight", w2);
        MergeInputs in = withBase
                ? merge("base", p("nuslerp_flatten", flatten, "nuslerp_row_wise", rowWise), ia, ib,
                in("base", t(DType.F32, shape(2, 2), base)))
                : merge(null, p("nuslerp_flatten", flatten, "nuslerp_row_wise", rowWise), ia, ib);
        float[] got = values(run("nuslerp", in));
        for (int i = 0; i < 4; i++) {
            // near-antiparallel rows (sin θ small) amplify float32 rounding, hence a relative tolerance
            assertThat((double) got[i]).as("element %d", i).isCloseTo(want[i], within(4e-6 * (1 + Math.abs(want[i]))));
        }
    }

    @Test
    void nuslerpZeroWeightSumUsesHalfway() {
        float[] got = values(run("nuslerp", merge(null, p(), in("a", f32(1, 0), "weight", 1),
                in("b", f32(0, 1), "weight", -1))));
        assertThat(got[0]).isCloseTo((float) H, within(1e-6f));
        assertThat(got[1]).isCloseTo((float) H, within(1e-6f));
    }

    @Test
    void nuslerpColinearRowsFallBackToLerp() {
        // rows (1,1) and (2,2) are colinear: sin θ = 0 -> (1-t)·v0 + t·v1 with t = 0.25
        float[] got = values(run("nuslerp", merge(null, p(), in("a", f32(1, 1), "weight", 3),
                in("b", f32(2, 2), "weight", 1))));
        assertThat(got).containsExactly(1.25f, 1.25f);
    }

    @Test
    void nuslerpWithBaseNeedsThreeDistinctInputs() {
        assertThatThrownBy(() -> run("nuslerp", merge("a", p(), in("a", f32(1, 0), "weight", 1),
                in("b", f32(0, 1), "weight", 1))))
                .hasMessageContaining("nuslerp").hasMessageContaining("base");
    }

    // ---- multislerp ----

    @Test
    void multislerpOfTwoOrthogonalVectorsIsTheArcMidpoint() {
        float[] got = values(run("multislerp", merge(null, p(), in("a", f32(2, 0), "weight", 1),
                in("b", f32(0, 2), "weight", 1))));
        // direction (√½, √½), scaled by the weighted mean norm 2
        assertThat(got[0]).isCloseTo((float) (2 * H), within(1e-6f));
        assertThat(got[1]).isCloseTo((float) (2 * H), within(1e-6f));
    }

    @Test
    void multislerpMatchesTheTangentSpaceFormulaInFloat64() {
        double[][] x = {{1, 0.2, -0.3}, {0.1, 1.1, 0.4}, {-0.2, 0.3, 0.9}};
        double[] base = {0.05, -0.1, 0.2};
        double[] w = {0.5, 0.3, 0.2};
        double eps = 1e-8;
        // Reference: task vectors, unit vectors, weighted mean direction, log map average, exp map, mean norm.
        int n = 3;
        double[][] u = new double[n][3];
        double[] norms = new double[n];
        double[] mean = new double[3];
        for (int i = 0; i < n; i++) {
            double[] tv = new double[3];
            for (int j = 0; j < 3; j++) {
                tv[j] = (float) x[i][j] - (float) base[j];
            }
            norms[i] = norm(tv);
            for (int j = 0; j < 3; j++) {
                u[i][j] = tv[j] / (norms[i] + eps);
                mean[j] += w[i] * u[i][j];
            }
        }
        double mn = norm(mean);
        for (int j = 0; j < 3; j++) {
            mean[j] /= mn;
        }
        double[] tr = new double[3];
        for (int i = 0; i < n; i++) {
            double dot = 0;
            for (int j = 0; j < 3; j++) {
                dot += u[i][j] * mean[j];
            }
            for (int j = 0; j < 3; j++) {
                tr[j] += w[i] * (u[i][j] - dot * mean[j]);
            }
        }
        double tn = norm(tr) + eps;
        double avg = 0;
        for (int i = 0; i < n; i++) {
            avg += norms[i] * w[i];
        }
        MergeInputs in = merge("base", p(), in("a", f32(x[0]), "weight", 0.5), in("b", f32(x[1]), "weight", 0.3),
                in("c", f32(x[2]), "weight", 0.2), in("base", f32(base)));
        float[] got = values(run("multislerp", in));
        for (int j = 0; j < 3; j++) {
            double want = (mean[j] * Math.cos(tn) + tr[j] * Math.sin(tn) / tn) * avg + (float) base[j];
            assertThat((double) got[j]).isCloseTo(want, within(2e-6));
        }
    }

    @Test
    void multislerpAntipodalInputs() {
        // two antipodal vectors with equal weights: linear fallback (0.5·a + 0.5·b = 0)
        float[] two = values(run("multislerp", merge(null, p(), in("a", f32(1, 2), "weight", 1),
                in("b", f32(-1, -2), "weight", 1))));
        assertThat(two).containsExactly(0f, 0f);
        // three inputs whose unit vectors cancel: an error
        assertThatThrownBy(() -> run("multislerp", merge(null, p(), in("a", f32(1, 0), "weight", 1),
                in("b", f32(-1, 0), "weight", 1), in("c", f32(0, 0), "weight", 0))))
                .hasMessageContaining("multislerp");
    }

    // ---- karcher ----

    @Test
    void karcherOfTwoUnitVectorsIsTheArcMidpoint() {
        float[] got = values(run("karcher", merge(null, p(), in("a", f32(1, 0, 0)), in("b", f32(0, 1, 0)))));
        assertThat(got[0]).isCloseTo((float) H, within(1e-6f));
        assertThat(got[1]).isCloseTo((float) H, within(1e-6f));
        assertThat(got[2]).isEqualTo(0f);
        // norms 2 and 4: the same direction, scaled by the mean norm 3
        float[] scaled = values(run("karcher", merge(null, p(), in("a", f32(2, 0)), in("b", f32(0, 4)))));
        assertThat(scaled[0]).isCloseTo((float) (3 * H), within(2e-6f));
        assertThat(scaled[1]).isCloseTo((float) (3 * H), within(2e-6f));
    }

    @Test
    void karcherConvergesToTheRiemannianMeanOfThreeDirections() {
        double[][] x = {{1, 0, 0}, {0, 1, 0}, {0.6, 0.6, 0.52915026}};
        // Reference: plain Riemannian gradient descent on the sphere in double, run to convergence.
        double[][] u = new double[3][];
        double meanNorm = 0;
        for (int i = 0; i < 3; i++) {
            double nn = norm(x[i]);
            meanNorm += nn / 3;
            u[i] = new double[] {x[i][0] / nn, x[i][1] / nn, x[i][2] / nn};
        }
        double[] m = {1, 1, 1};
        for (int it = 0; it < 200; it++) {
            double nm = norm(m);
            for (int j = 0; j < 3; j++) {
                m[j] /= nm;
            }
            double[] g = new double[3];
            for (double[] ui : u) {
                double c = ui[0] * m[0] + ui[1] * m[1] + ui[2] * m[2];
                double th = Math.acos(Math.max(-1, Math.min(1, c)));
                for (int j = 0; j < 3; j++) {
                    g[j] += th < 1e-12 ? 0 : th / Math.sin(th) * (ui[j] - c * m[j]) / 3;
                }
            }
            double gn = norm(g);
            if (gn < 1e-15) {
                break;
            }
            for (int j = 0; j < 3; j++) {
                m[j] = Math.cos(gn) * m[j] + Math.sin(gn) * g[j] / gn;
            }
        }
        float[] got = values(run("karcher", merge(null, p("max_iter", 50, "tol", 1e-7),
                in("a", f32(x[0])), in("b", f32(x[1])), in("c", f32(x[2])))));
        for (int j = 0; j < 3; j++) {
            assertThat((double) got[j]).isCloseTo(meanNorm * m[j] / norm(m), within(1e-5));
        }
    }

    @Test
    void karcherTreatsTheBaseAsAnInputAndCropsEmbeddings() {
        float[] got = values(run("karcher", merge("base", p(), in("a", f32(1, 0)), in("base", f32(0, 1)))));
        assertThat(got[0]).isCloseTo((float) H, within(1e-6f));
        MergeInputs emb = new MergeInputs("model.embed_tokens.weight", true, java.util.List.of(
                in("a", t(DType.F32, shape(3, 1), 1, 0, 7)), in("b", t(DType.F32, shape(2, 1), 0, 1))),
                null, p(), DType.F32, null, null);
        Tensor r = MergeMethods.byName("karcher").merge(emb);
        assertThat(r.shape().dims()).containsExactly(2, 1);
        assertThat(values(r)[0]).isCloseTo((float) H, within(1e-6f));
    }
}
