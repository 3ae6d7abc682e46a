package dev.evomerge.merge.method;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A deliberately naive float32 TIES (magnitude top-k by a full sort of (|δ|, index) pairs, normalize on) written
 * straight from the mergekit description, for cross-checking the optimised implementation.
 */
final class ReferenceTies {

    private ReferenceTies() {
    }

    static float[] ties(double[] base, double[][] xs, double[] weights, double[] density) {
        int n = base.length;
        int models = xs.length;
        float[][] kept = new float[models][n];
        for (int m = 0; m < models; m++) {
            float[] delta = new float[n];
            for (int j = 0; j < n; j++) {
                delta[j] = (float) xs[m][j] - (float) base[j];
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
        float[] out = new float[n];
        for (int j = 0; j < n; j++) {
            float vote = 0f;
            for (int m = 0; m < models; m++) {
                vote += kept[m][j] * (float) weights[m];
            }
            float sign = vote >= 0 ? 1f : -1f;
            float mixed = 0f;
            float div = 0f;
            for (int m = 0; m < models; m++) {
                float wd = kept[m][j] * (float) weights[m];
                if (Math.signum(wd) == sign) {
                    mixed += wd;
                    div += (float) weights[m];
                }
            }
            if (div == 0f) {
                div = 1f;
            }
            out[j] = (float) base[j] + mixed / div;
        }
        return out;
    }
}
