package dev.evomerge.merge.method;

import dev.evomerge.core.tensor.FloatFormats;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.DoubleUnaryOperator;

/**
 * A deliberately naive float32 TIES (magnitude top-k by a full sort of (|δ|, index) pairs, normalize on) written
 * straight from the mergekit description, for cross-checking the optimised implementation.
 */
final class ReferenceTies {

    private ReferenceTies() {
    }

    static float[] ties(double[] base, double[][] xs, double[] weights, double[] density) {
        return ties(base, xs, weights, density, v -> (float) v);
    }

    /** bf16 rounding through core's FloatFormats (independent of the merge code's own rounding). */
    static float bf16(double v) {
        return FloatFormats.bf16ToFloat(FloatFormats.floatToBf16((float) v));
    }

    /** TIES with every op's float32 result passed through round (identity for float32, bf16 for bfloat16). */
    static float[] ties(double[] base, double[][] xs, double[] weights, double[] density, DoubleUnaryOperator round) {
        int n = base.length;
        int models = xs.length;
        float[][] kept = new float[models][n];
        for (int m = 0; m < models; m++) {
            float[] delta = new float[n];
            for (int j = 0; j < n; j++) {
                delta[j] = r(round, (float) xs[m][j] - (float) base[j]);
            }
            if (density[m] >= 1) {
                kept[m] = delta;
                continue;
            }
            int k = (int) (density[m] * n);
            List<Integer> order = new ArrayList<>();
            for (int j = 0; j < n; j++) {
                order.add(j);
            }
            float[] d = delta;
            order.sort(Comparator.<Integer>comparingDouble(j -> -Math.abs(d[j])).thenComparingInt(j -> j));
            for (int r = 0; r < k; r++) {
                kept[m][order.get(r)] = delta[order.get(r)];
            }
        }
        float[] w = new float[models];
        for (int m = 0; m < models; m++) {
            w[m] = r(round, (float) weights[m]);
        }
        float[] out = new float[n];
        for (int j = 0; j < n; j++) {
            float vote = 0f;
            for (int m = 0; m < models; m++) {
                vote += r(round, kept[m][j] * w[m]);
            }
            float sign = r(round, vote) >= 0 ? 1f : -1f;
            float mixed = 0f;
            float div = 0f;
            for (int m = 0; m < models; m++) {
                float wd = r(round, kept[m][j] * w[m]);
                if (Math.signum(wd) == sign) {
                    mixed += wd;
                    div += w[m];
                }
            }
            float dv = r(round, div);
            if (dv == 0f) {
                dv = 1f;
            }
            out[j] = r(round, (float) base[j] + r(round, r(round, mixed) / dv));
        }
        return out;
    }

    private static float r(DoubleUnaryOperator round, float v) {
        return (float) round.applyAsDouble(v);
    }
}
