package dev.evomerge.eval.estimate;

import java.util.Arrays;
import java.util.Comparator;

/** Agreement between estimated and measured scores: Spearman and Pearson correlation, mean absolute error. */
public final class RankCorrelation {

    private RankCorrelation() {
    }

    /** Spearman's rank correlation: Pearson's correlation of the ranks, tied values sharing their mean rank. */
    public static double spearman(double[] x, double[] y) {
        requireSameLength(x, y);
        return pearson(ranks(x), ranks(y));
    }

    /** Pearson's correlation; NaN when either input is constant. */
    public static double pearson(double[] x, double[] y) {
        requireSameLength(x, y);
        double mx = Arrays.stream(x).average().orElse(Double.NaN);
        double my = Arrays.stream(y).average().orElse(Double.NaN);
        double sxy = 0;
        double sxx = 0;
        double syy = 0;
        for (int i = 0; i < x.length; i++) {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }
        return sxy / Math.sqrt(sxx * syy);
    }

    /** The mean of |x_i - y_i|. */
    public static double meanAbsoluteError(double[] x, double[] y) {
        requireSameLength(x, y);
        double s = 0;
        for (int i = 0; i < x.length; i++) {
            s += Math.abs(x[i] - y[i]);
        }
        return s / x.length;
    }

    /** Ranks from 1, ties getting the mean of the ranks they span. */
    static double[] ranks(double[] x) {
        Integer[] order = new Integer[x.length];
        for (int i = 0; i < x.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingDouble(i -> x[i]));
        double[] ranks = new double[x.length];
        int start = 0;
        while (start < x.length) {
            int end = start;
            while (end + 1 < x.length && x[order[end + 1]] == x[order[start]]) {
                end++;
            }
            double rank = (start + end) / 2.0 + 1;
            for (int p = start; p <= end; p++) {
                ranks[order[p]] = rank;
            }
            start = end + 1;
        }
        return ranks;
    }

    private static void requireSameLength(double[] x, double[] y) {
        if (x.length != y.length || x.length == 0) {
            throw new IllegalArgumentException("need two non-empty series of one length, got " + x.length + " and "
                    + y.length);
        }
    }
}
