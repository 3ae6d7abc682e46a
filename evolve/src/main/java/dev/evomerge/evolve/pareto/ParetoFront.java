package dev.evomerge.evolve.pareto;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Pareto dominance, non-dominated sorting and crowding distance over objective vectors.
 *
 * <p>Every objective is <b>maximised</b>. A cost the user wants small (a data-flow path's layer count, a model's
 * parameter count) is negated by the caller before it gets here. A <em>failed</em> vector (one with a NaN or negative
 * infinite entry: a candidate whose merge or evaluation failed) is dominated by every vector that did not fail, and
 * dominates nothing. Positive infinity is not a score and is refused.
 */
public final class ParetoFront {

    private ParetoFront() {
    }

    /** True when the vector stands for a failed candidate: some entry is NaN or negative infinity. */
    public static boolean isFailed(double[] objectives) {
        for (double v : objectives) {
            if (Double.isNaN(v) || v == Double.NEGATIVE_INFINITY) {
                return true;
            }
        }
        return false;
    }

    /**
     * True when {@code a} Pareto-dominates {@code b}: a is at least as good in every objective and better in one. A
     * vector that did not fail dominates every failed one; a failed vector dominates nothing.
     */
    public static boolean dominates(double[] a, double[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("objective vectors of different lengths: " + a.length + " and " + b.length);
        }
        if (isFailed(a)) {
            return false;
        }
        if (isFailed(b)) {
            return true;
        }
        boolean better = false;
        for (int i = 0; i < a.length; i++) {
            if (a[i] < b[i]) {
                return false;
            }
            if (a[i] > b[i]) {
                better = true;
            }
        }
        return better;
    }

    /**
     * Fast non-dominated sorting (Deb, Pratap, Agarwal, Meyarivan 2002): the indices of {@code objectives} split into
     * fronts, best first. Front 0 is the non-dominated set; front k holds the vectors dominated only by vectors of
     * fronts 0..k-1. Equal vectors share a front. Indices within a front are ascending. O(m N^2) for N vectors of m
     * objectives.
     */
    public static List<int[]> nonDominatedSort(double[][] objectives) {
        checkScores(objectives);
        int n = objectives.length;
        int[] dominatedByCount = new int[n];
        List<List<Integer>> dominatedSets = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            dominatedSets.add(new ArrayList<>());
        }
        for (int p = 0; p < n; p++) {
            for (int q = p + 1; q < n; q++) {
                if (dominates(objectives[p], objectives[q])) {
                    dominatedSets.get(p).add(q);
                    dominatedByCount[q]++;
                } else if (dominates(objectives[q], objectives[p])) {
                    dominatedSets.get(q).add(p);
                    dominatedByCount[p]++;
                }
            }
        }
        List<int[]> fronts = new ArrayList<>();
        int[] current = IntStream.range(0, n).filter(i -> dominatedByCount[i] == 0).toArray();
        while (current.length > 0) {
            fronts.add(current);
            List<Integer> next = new ArrayList<>();
            for (int p : current) {
                for (int q : dominatedSets.get(p)) {
                    if (--dominatedByCount[q] == 0) {
                        next.add(q);
                    }
                }
            }
            current = next.stream().mapToInt(Integer::intValue).sorted().toArray();
        }
        return fronts;
    }

    /**
     * The rank of every vector: the index of its front in {@link #nonDominatedSort} (0 for the non-dominated set).
     */
    public static int[] ranks(List<int[]> fronts, int size) {
        int[] rank = new int[size];
        for (int k = 0; k < fronts.size(); k++) {
            for (int i : fronts.get(k)) {
                rank[i] = k;
            }
        }
        return rank;
    }

    /**
     * Crowding distance of each member of one front (Deb et al. 2002), in the order of {@code front}. For each objective
     * the members are sorted by it (ties by index); the first and last get infinity, every other member adds
     * (next - previous) / (max - min) of its neighbours' values. An objective on which all members are equal adds
     * nothing to the inner members. Failed members get 0 and take no part. O(m N log N).
     */
    public static double[] crowdingDistance(double[][] objectives, int[] front) {
        checkScores(objectives);
        double[] distance = new double[front.length];
        int[] live = IntStream.range(0, front.length).filter(k -> !isFailed(objectives[front[k]])).toArray();
        if (live.length == 0) {
            return distance;
        }
        int m = objectives[front[live[0]]].length;
        for (int j = 0; j < m; j++) {
            final int objective = j;
            Integer[] order = Arrays.stream(live).boxed().toArray(Integer[]::new);
            Arrays.sort(order, Comparator.comparingDouble((Integer k) -> objectives[front[k]][objective])
                    .thenComparingInt(k -> front[k]));
            double min = objectives[front[order[0]]][j];
            double max = objectives[front[order[order.length - 1]]][j];
            distance[order[0]] = Double.POSITIVE_INFINITY;
            distance[order[order.length - 1]] = Double.POSITIVE_INFINITY;
            double range = max - min;
            if (range <= 0) {
                continue;
            }
            for (int r = 1; r < order.length - 1; r++) {
                double gap = objectives[front[order[r + 1]]][j] - objectives[front[order[r - 1]]][j];
                distance[order[r]] += gap / range;
            }
        }
        return distance;
    }

    /**
     * True when the two vectors are the same point: every entry equal (0.0 and -0.0 are equal; NaN equals NaN, so two
     * candidates that failed the same way are the same point too).
     */
    public static boolean samePoint(double[] a, double[] b) {
        if (a.length != b.length) {
            return false;
        }
        for (int i = 0; i < a.length; i++) {
            if (!(a[i] == b[i] || Double.isNaN(a[i]) && Double.isNaN(b[i]))) {
                return false;
            }
        }
        return true;
    }

    /**
     * For each vector, whether an earlier one (lower index) is the {@link #samePoint same point}: the repeats that
     * duplicate elimination ranks after, or drops from, the distinct vectors. O(m N^2).
     */
    public static boolean[] repeats(double[][] objectives) {
        boolean[] repeat = new boolean[objectives.length];
        for (int i = 1; i < objectives.length; i++) {
            for (int k = 0; k < i && !repeat[i]; k++) {
                repeat[i] = !repeat[k] && samePoint(objectives[k], objectives[i]);
            }
        }
        return repeat;
    }

    /** The non-dominated vectors with one index per distinct point, the earliest (ascending). */
    public static int[] distinctNonDominated(double[][] objectives) {
        boolean[] repeat = repeats(objectives);
        return Arrays.stream(nonDominated(objectives)).filter(i -> !repeat[i]).toArray();
    }

    /** The indices of the non-dominated vectors (front 0), ascending. */
    public static int[] nonDominated(double[][] objectives) {
        List<int[]> fronts = nonDominatedSort(objectives);
        return fronts.isEmpty() ? new int[0] : fronts.getFirst();
    }

    private static void checkScores(double[][] objectives) {
        for (int i = 0; i < objectives.length; i++) {
            for (double v : objectives[i]) {
                if (v == Double.POSITIVE_INFINITY) {
                    throw new IllegalArgumentException("objective vector " + i + " has +infinity; a score must be finite "
                            + "(a failed candidate is -infinity or NaN)");
                }
            }
            if (objectives[i].length != objectives[0].length) {
                throw new IllegalArgumentException("objective vector " + i + " has " + objectives[i].length
                        + " entries, vector 0 has " + objectives[0].length);
            }
        }
    }
}
