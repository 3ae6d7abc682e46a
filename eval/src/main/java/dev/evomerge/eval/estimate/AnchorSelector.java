package dev.evomerge.eval.estimate;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Chooses K anchor items by clustering the items' correctness vectors: item j's vector holds the results of the M
 * calibration models on it, so items that the same models get right fall into one cluster.
 *
 * <p>The clustering is k-means in Euclidean distance: k-means++ seeding from the seeded generator (each next centre
 * drawn with probability proportional to its squared distance from the nearest centre already chosen), then Lloyd
 * iterations until no item changes cluster (at most {@value #MAX_ITERATIONS}). Each cluster's anchor is its item
 * nearest to the cluster's mean (lowest position on ties), weighted by the cluster's share of the items. All ties break
 * by the lowest index, so the anchors depend only on the matrix, K and the seed. A cluster that ends empty gets no
 * anchor, so a task can have fewer than K anchors; that always happens where the calibration models give fewer than K
 * distinct vectors (items they cannot tell apart), and the weights still sum to 1.
 */
public final class AnchorSelector {

    static final int MAX_ITERATIONS = 100;

    private AnchorSelector() {
    }

    /** @throws dev.evomerge.core.EvomergeException (usage) when the task has fewer than {@code k} items */
    public static Anchors select(CalibrationMatrix calibration, int k, long seed) {
        int n = calibration.itemCount();
        EstimatorInputs.requireEnoughDocuments(calibration.task(), n, k);
        double[][] vectors = itemVectors(calibration);
        double[][] centres = seedCentres(vectors, k, EstimatorInputs.random(seed, calibration.task()));
        int[] cluster = new int[n];
        assign(vectors, centres, cluster);
        for (int iteration = 0; iteration < MAX_ITERATIONS; iteration++) {
            recentre(vectors, cluster, centres);
            if (!assign(vectors, centres, cluster)) {
                break;
            }
        }
        recentre(vectors, cluster, centres);
        return anchors(calibration, vectors, centres, cluster);
    }

    private static double[][] itemVectors(CalibrationMatrix calibration) {
        double[][] vectors = new double[calibration.itemCount()][calibration.modelCount()];
        for (int i = 0; i < calibration.modelCount(); i++) {
            for (int j = 0; j < calibration.itemCount(); j++) {
                vectors[j][i] = calibration.score(i, j);
            }
        }
        return vectors;
    }

    /** k-means++: the first centre uniform, each next one with probability proportional to D(x)^2. */
    private static double[][] seedCentres(double[][] vectors, int k, SplittableRandom random) {
        int n = vectors.length;
        double[][] centres = new double[k][];
        double[] nearest = new double[n];
        Arrays.fill(nearest, Double.POSITIVE_INFINITY);
        int pick = random.nextInt(n);
        for (int c = 0; c < k; c++) {
            centres[c] = vectors[pick].clone();
            double total = 0;
            for (int j = 0; j < n; j++) {
                nearest[j] = Math.min(nearest[j], squaredDistance(vectors[j], centres[c]));
                total += nearest[j];
            }
            if (c + 1 == k) {
                break;
            }
            // all items coincide with a centre: repeat the last one; the duplicate cluster stays empty
            if (total <= 0) {
                continue;
            }
            double target = random.nextDouble() * total;
            pick = n - 1;
            for (int j = 0; j < n; j++) {
                target -= nearest[j];
                if (target < 0 && nearest[j] > 0) {
                    pick = j;
                    break;
                }
            }
            while (nearest[pick] <= 0) {
                pick--;
            }
        }
        return centres;
    }

    /** Moves each item to its nearest centre (lowest index on ties); true when an item moved. */
    private static boolean assign(double[][] vectors, double[][] centres, int[] cluster) {
        boolean moved = false;
        for (int j = 0; j < vectors.length; j++) {
            int best = 0;
            double bestDistance = Double.POSITIVE_INFINITY;
            for (int c = 0; c < centres.length; c++) {
                double d = squaredDistance(vectors[j], centres[c]);
                if (d < bestDistance) {
                    bestDistance = d;
                    best = c;
                }
            }
            if (cluster[j] != best) {
                cluster[j] = best;
                moved = true;
            }
        }
        return moved;
    }

    /** Each non-empty cluster's centre becomes its members' mean; an empty cluster keeps its centre. */
    private static void recentre(double[][] vectors, int[] cluster, double[][] centres) {
        int m = vectors[0].length;
        double[][] sums = new double[centres.length][m];
        int[] sizes = new int[centres.length];
        for (int j = 0; j < vectors.length; j++) {
            sizes[cluster[j]]++;
            for (int i = 0; i < m; i++) {
                sums[cluster[j]][i] += vectors[j][i];
            }
        }
        for (int c = 0; c < centres.length; c++) {
            if (sizes[c] > 0) {
                for (int i = 0; i < m; i++) {
                    centres[c][i] = sums[c][i] / sizes[c];
                }
            }
        }
    }

    private static Anchors anchors(CalibrationMatrix calibration, double[][] vectors, double[][] centres,
                                   int[] cluster) {
        int n = vectors.length;
        int[] sizes = new int[centres.length];
        int[] medoid = new int[centres.length];
        double[] medoidDistance = new double[centres.length];
        Arrays.fill(medoidDistance, Double.POSITIVE_INFINITY);
        for (int j = 0; j < n; j++) {
            int c = cluster[j];
            sizes[c]++;
            double d = squaredDistance(vectors[j], centres[c]);
            if (d < medoidDistance[c]) {
                medoidDistance[c] = d;
                medoid[c] = j;
            }
        }
        List<Anchor> anchors = new ArrayList<>();
        for (int c = 0; c < centres.length; c++) {
            if (sizes[c] > 0) {
                anchors.add(new Anchor(medoid[c], calibration.items().get(medoid[c]).document(),
                        (double) sizes[c] / n, sizes[c]));
            }
        }
        anchors.sort(Comparator.comparingInt(Anchor::column));
        return new Anchors(calibration.task(), anchors);
    }

    private static double squaredDistance(double[] x, double[] y) {
        double s = 0;
        for (int i = 0; i < x.length; i++) {
            double d = x[i] - y[i];
            s += d * d;
        }
        return s;
    }
}
