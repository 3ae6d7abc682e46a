package dev.evomerge.merge.method;

import dev.evomerge.core.tensor.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Selection of magnitudes without sorting agrees with the sorted magnitudes, and magnitude pruning through it (and
 * in place) keeps exactly the elements the sorted path keeps.
 */
class MagnitudeSelectTest {

    @Test
    void selectsByHandFromASmallArray() {
        // |v| ascending: 0, 0.5, 1, 1, 2, 3, NaN
        float[] v = {-1f, 3f, 0f, 1f, Float.NaN, -0.5f, 2f};
        assertThat(MagnitudeSelect.select(v, 0)).isEqualTo(new MagnitudeSelect.Selected(0f, 0, 1));
        assertThat(MagnitudeSelect.select(v, 2)).isEqualTo(new MagnitudeSelect.Selected(1f, 2, 4));
        assertThat(MagnitudeSelect.select(v, 3)).isEqualTo(new MagnitudeSelect.Selected(1f, 2, 4));
        assertThat(MagnitudeSelect.select(v, 5)).isEqualTo(new MagnitudeSelect.Selected(3f, 5, 6));
        MagnitudeSelect.Selected nan = MagnitudeSelect.select(v, 6);
        assertThat(nan.value()).isNaN();
        assertThat(nan.below()).isEqualTo(6);
        assertThat(nan.atMost()).isEqualTo(7);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 999, 300_001})
    void agreesWithTheSortedMagnitudesAtEveryProbedPosition(int n) {
        SplittableRandom rnd = new SplittableRandom(n);
        float[] v = values(n, rnd);
        float[] sorted = Sparsifiers.sortedMagnitudes(v);
        for (int probe = 0; probe < 40; probe++) {
            int pos = probe < 2 ? probe * (n - 1) : rnd.nextInt(n);
            MagnitudeSelect.Selected s = MagnitudeSelect.select(v, pos);
            assertThat(Float.compare(s.value(), sorted[pos])).isZero();
            long below = 0;
            long atMost = 0;
            for (float x : sorted) {
                below += Float.compare(x, sorted[pos]) < 0 ? 1 : 0;
                atMost += Float.compare(x, sorted[pos]) <= 0 ? 1 : 0;
            }
            assertThat(s.below()).isEqualTo(below);
            assertThat(s.atMost()).isEqualTo(atMost);
        }
    }

    @ParameterizedTest
    @ValueSource(doubles = {0.0, 0.1, 0.5, 0.9, 0.99})
    void pruningWithoutSortingKeepsWhatTheSortedPathKeeps(double density) {
        SplittableRandom rnd = new SplittableRandom(Double.doubleToLongBits(density));
        float[] delta = values(200_003, rnd);
        float[] sorted = Sparsifiers.sortedMagnitudes(delta);
        for (boolean rescale : new boolean[] {false, true}) {
            float[] expected = Sparsifiers.magnitude(DType.BF16, delta, sorted, Double.NaN, density, rescale);
            float[] selected = Sparsifiers.magnitude(DType.BF16, delta, null, Double.NaN, density, rescale);
            float[] copy = delta.clone();
            float[] inPlace = Sparsifiers.magnitude(DType.BF16, copy, null, Double.NaN, density, rescale, true);
            assertThat(inPlace).isSameAs(copy);
            assertThat(firstDifference(selected, expected)).as("selected, rescale %s", rescale).isEqualTo(-1);
            assertThat(firstDifference(inPlace, expected)).as("in place, rescale %s", rescale).isEqualTo(-1);
        }
        long k = (long) (density * delta.length);
        byte[] bySort = Sparsifiers.rankMask(delta, sorted, 0, k);
        byte[] bySelect = Sparsifiers.rankMask(delta, null, 0, k);
        assertThat(bySelect).isEqualTo(bySort);
        // NaN magnitudes take the top ranks but are never kept (no comparison with them holds), as in the sorted path
        long nans = 0;
        for (float x : delta) {
            nans += Float.isNaN(x) ? 1 : 0;
        }
        assertThat(count(bySelect)).isEqualTo(Math.max(0, k - nans));
    }

    @Test
    void dareInPlaceEqualsTheCopyingPath() {
        SplittableRandom rnd = new SplittableRandom(5);
        float[] delta = values(100_000, rnd);
        MaskSource.MaskKey key = new MaskSource.MaskKey("t", "m", "dare");
        float[] expected = Sparsifiers.bernoulli(DType.BF16, delta, 0.4, true, MaskSource.seeded(9), key);
        float[] copy = delta.clone();
        float[] inPlace = Sparsifiers.bernoulli(DType.BF16, copy, 0.4, true, MaskSource.seeded(9), key, true);
        assertThat(inPlace).isSameAs(copy);
        assertThat(firstDifference(inPlace, expected)).isEqualTo(-1);
    }

    /**
     * The first index whose bits differ (as text with both values), or -1. NaNs count as equal whatever their sign:
     * the rescale step multiplies by a NaN ratio when a task vector holds NaN, and the sign of the NaN that comes out
     * of a float multiply may differ between the interpreter and JIT-compiled code of the same method.
     */
    private static Object firstDifference(float[] a, float[] b) {
        for (int i = 0; i < a.length; i++) {
            if (Float.floatToIntBits(a[i]) != Float.floatToIntBits(b[i])) {
                return i + ": " + Integer.toHexString(Float.floatToRawIntBits(a[i])) + " vs "
                        + Integer.toHexString(Float.floatToRawIntBits(b[i]));
            }
        }
        return -1;
    }

    /** bf16-valued magnitudes with many equal values (so cut-offs fall inside runs), zeros, NaN and infinities. */
    private static float[] values(int n, SplittableRandom rnd) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            int kind = rnd.nextInt(200);
            if (kind == 0) {
                v[i] = Float.NaN;
            } else if (kind == 1) {
                v[i] = Float.NEGATIVE_INFINITY;
            } else if (kind < 20) {
                v[i] = rnd.nextBoolean() ? 0f : -0f;
            } else {
                v[i] = Numerics.bf16((float) (rnd.nextGaussian() * 0.01));
            }
        }
        return v;
    }

    private static long count(byte[] keep) {
        long c = 0;
        for (byte b : keep) {
            c += b;
        }
        return c;
    }
}
