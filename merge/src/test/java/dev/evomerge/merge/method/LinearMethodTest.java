package dev.evomerge.merge.method;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static dev.evomerge.merge.method.Fx.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LinearMethodTest {

    private static final Tensor X1 = f32(1, 2, -3, 0.5);
    private static final Tensor X2 = f32(3, -2, 1, 0.25);

    @Test
    void normalizedWeightedAverage() {
        // (1·x1 + 3·x2) / 4, all values dyadic so float32 is exact.
        Tensor r = run("linear", merge(null, p(), in("a", X1, "weight", 1), in("b", X2, "weight", 3)));
        assertThat(values(r)).containsExactly(2.5f, -1f, 0f, 0.3125f);
        assertThat(r.dtype()).isEqualTo(DType.F32);
    }

    @Test
    void unnormalizedWithNegativeWeight() {
        Tensor r = run("linear", merge(null, p("normalize", false), in("a", X1, "weight", 2), in("b", X2, "weight", -1)));
        assertThat(values(r)).containsExactly(-1f, 6f, -7f, 0.75f);
    }

    @Test
    void float32IsBitExactWithTorchOpOrder() {
        // torch: W = float32(w); p_i = W_i*x_i (rounded); sum from +0 in order; / (W_1 + W_2).
        float a = 0.1f;
        float b = 0.7f;
        Tensor r = run("linear", merge(null, p(), in("a", f32(1.3f, -2.7f, 1e-3f), "weight", 0.1),
                in("b", f32(0.9f, 5.1f, 7f), "weight", 0.7)));
        float[] x1 = {1.3f, -2.7f, 1e-3f};
        float[] x2 = {0.9f, 5.1f, 7f};
        float[] got = values(r);
        for (int i = 0; i < 3; i++) {
            float sum = 0f + a * x1[i];
            sum = sum + b * x2[i];
            float expected = sum / (a + b);
            assertThat(Float.floatToRawIntBits(got[i])).as("element %d", i).isEqualTo(Float.floatToRawIntBits(expected));
        }
    }

    @Test
    void bf16RoundsWeightsAndEveryOp() {
        // Hand derivation: bf16(0.6) = 0.6015625, bf16(0.4) = 0.400390625;
        // p1 = 0.6015625·1 = 0.6015625; p2 = 0.400390625·3 = 1.201171875 -> bf16 1.203125;
        // sum 1.8046875 (exact in bf16); ΣW = 1.001953125 -> bf16 1.0; result 1.8046875.
        // Exact arithmetic would give 1.8 -> bf16 1.796875, one ulp lower.
        Tensor r = run("linear", merge(null, p(), in("a", bf16(1), "weight", 0.6), in("b", bf16(3), "weight", 0.4)));
        assertThat(r.dtype()).isEqualTo(DType.BF16);
        assertThat(values(r)).containsExactly(1.8046875f);
    }

    @Test
    void zeroWeightSumWithNormalizeIsRefused() {
        // mergekit divides by the weight sum without a zero guard and would write inf/NaN; evomerge says why instead.
        assertThatThrownBy(() -> run("linear", merge(null, p(), in("a", X1, "weight", 1), in("b", X2, "weight", -1))))
                .isInstanceOf(EvomergeException.class)
                .hasMessageContaining("linear").hasMessageContaining("sum to zero")
                .hasMessageContaining("model.layers.0.mlp.w");
        // Without normalize the same weights are fine: x1 - x2.
        Tensor r = run("linear", merge(null, p("normalize", false), in("a", X1, "weight", 1), in("b", X2, "weight", -1)));
        assertThat(values(r)).containsExactly(-2f, 4f, -4f, 0.25f);
    }

    @Test
    void missingWeightNamesMethodParameterModelAndTensor() {
        assertThatThrownBy(() -> run("linear", merge(null, p(), in("a", X1, "weight", 1), in("org/b", X2))))
                .isInstanceOf(EvomergeException.class)
                .hasMessage("Method linear needs parameter 'weight' for model org/b, tensor model.layers.0.mlp.w.");
    }

    @Test
    void baseIsJustAnotherInputAndNeedsAWeight() {
        // linear ignores the base's role; an appended base without weight is an error, with one it is averaged in.
        assertThatThrownBy(() -> run("linear", merge("base", p(), in("a", X1, "weight", 1), in("base", X2))))
                .hasMessageContaining("'weight' for model base");
        Tensor r = run("linear", merge("base", p(), in("a", X1, "weight", 1), in("base", X2, "weight", 3)));
        assertThat(values(r)).containsExactly(2.5f, -1f, 0f, 0.3125f);
    }

    @Test
    void embeddingsAreCroppedToTheCommonSubmatrix() {
        Tensor big = t(DType.F32, shape(3, 2), 1, 2, 3, 4, 5, 6);
        Tensor small = t(DType.F32, shape(2, 2), 10, 20, 30, 40);
        MergeInputs in = new MergeInputs("model.embed_tokens.weight", true,
                List.of(in("a", big, "weight", 1), in("b", small, "weight", 1)), null, Map.of(), DType.F32, null, null);
        Tensor r = MergeMethods.byName("linear").merge(in);
        assertThat(r.shape().dims()).containsExactly(2, 2);
        assertThat(values(r)).containsExactly(5.5f, 11f, 16.5f, 22f);
        // The same shapes on a non-embedding weight are an error naming both shapes.
        MergeInputs notEmbed = new MergeInputs("model.norm.weight", false,
                List.of(in("a", big, "weight", 1), in("b", small, "weight", 1)), null, Map.of(), DType.F32, null, null);
        assertThatThrownBy(() -> MergeMethods.byName("linear").merge(notEmbed))
                .hasMessageContaining("size mismatch").hasMessageContaining("[3, 2]").hasMessageContaining("[2, 2]");
    }

    @Test
    void bigTensorsTakeTheParallelPathWithTheSameValues() {
        int n = 300_001;
        double[] a = new double[n];
        double[] b = new double[n];
        for (int i = 0; i < n; i++) {
            a[i] = (i % 1000) / 8.0;
            b[i] = -(i % 777) / 4.0;
        }
        Tensor r = run("linear", merge(null, p(), in("a", f32(a), "weight", 1), in("b", f32(b), "weight", 3)));
        float[] got = values(r);
        for (int i = 0; i < n; i += 997) {
            assertThat(got[i]).isEqualTo((float) ((a[i] + 3 * b[i]) / 4));
        }
        assertThat(got[n - 1]).isEqualTo((float) ((a[n - 1] + 3 * b[n - 1]) / 4));
    }
}
