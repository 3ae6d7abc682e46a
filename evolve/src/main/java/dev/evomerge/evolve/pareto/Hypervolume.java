package dev.evomerge.evolve.pareto;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * The exact hypervolume of a set of objective vectors (all objectives maximised, see {@link ParetoFront}): the volume
 * of the union of the boxes spanned by the reference point and each vector that is better than it in every objective.
 * Vectors that are not strictly better than the reference in every objective, and failed vectors, add nothing.
 *
 * <p>Two objectives: a sweep in decreasing first objective, O(N log N). More: slicing along the last objective — the
 * vectors sorted by it cut the space into at most N slabs; each slab's volume is its thickness times the hypervolume,
 * one dimension lower, of the vectors at or above it. That is O(N^(m-1) log N) for m objectives, meant for fronts of
 * tens of points, not thousands.
 */
public final class Hypervolume {

    private Hypervolume() {
    }

    /** The hypervolume that {@code points} dominate with respect to {@code reference}. */
    public static double of(double[][] points, double[] reference) {
        int m = reference.length;
        if (m == 0) {
            throw new IllegalArgumentException("the reference point has no objectives");
        }
        List<double[]> better = new ArrayList<>();
        for (double[] p : points) {
            if (p.length != m) {
                throw new IllegalArgumentException("a point has " + p.length + " objectives, the reference point " + m);
            }
            if (!ParetoFront.isFailed(p) && strictlyAbove(p, reference)) {
                better.add(p);
            }
        }
        return volume(better, reference, m);
    }

    /** The volume over the first {@code m} objectives. */
    private static double volume(List<double[]> points, double[] reference, int m) {
        if (points.isEmpty()) {
            return 0;
        }
        if (m == 1) {
            double best = Double.NEGATIVE_INFINITY;
            for (double[] p : points) {
                best = Math.max(best, p[0]);
            }
            return best - reference[0];
        }
        if (m == 2) {
            return sweep(points, reference);
        }
        int last = m - 1;
        List<double[]> sorted = new ArrayList<>(points);
        sorted.sort(Comparator.comparingDouble((double[] p) -> p[last]).reversed());
        double total = 0;
        int k = 0;
        while (k < sorted.size()) {
            double top = sorted.get(k)[last];
            // every vector with this value of the last objective joins the slab at once
            while (k < sorted.size() && sorted.get(k)[last] == top) {
                k++;
            }
            double bottom = k < sorted.size() ? sorted.get(k)[last] : reference[last];
            total += (top - bottom) * volume(sorted.subList(0, k), reference, last);
        }
        return total;
    }

    /** Two objectives: sorted by the first, decreasing; each point adds the strip it raises above the ones before. */
    private static double sweep(List<double[]> points, double[] reference) {
        double[][] sorted = points.toArray(double[][]::new);
        Arrays.sort(sorted, Comparator.comparingDouble((double[] p) -> p[0]).reversed()
                .thenComparing(Comparator.comparingDouble((double[] p) -> p[1]).reversed()));
        double area = 0;
        double height = reference[1];
        for (double[] p : sorted) {
            if (p[1] > height) {
                area += (p[0] - reference[0]) * (p[1] - height);
                height = p[1];
            }
        }
        return area;
    }

    private static boolean strictlyAbove(double[] p, double[] reference) {
        for (int i = 0; i < p.length; i++) {
            if (!(p[i] > reference[i])) {
                return false;
            }
        }
        return true;
    }
}
