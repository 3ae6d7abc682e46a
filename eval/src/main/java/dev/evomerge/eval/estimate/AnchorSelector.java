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

    /** How the K anchors are spread over the clusters. */
    public enum Allocation {
        /** One anchor per cluster, its item nearest the cluster's mean, weighted by the cluster's share. */
        ONE_PER_CLUSTER,
        /**
         * Anchors in proportion to the clusters' sizes: stratified random sampling with the clusters as strata.
         * Cluster c of N_c of the N items gets floor(K N_c / N) anchors, the rest go one each to the largest
         * remainders (ties: the larger cluster, then the lower cluster index); a cluster given none joins the nearest
         * cluster (by centre) that has some. Each cluster's anchors are a seeded uniform draw from its items, each
         * weighted N_c / (N n_c) for n_c anchors. Always K anchors, and no anchor weighs more than about 1/K, whereas
         * one per cluster can put a large cluster's whole share (for example the items every calibration model got
         * right) on a single item.
         */
        PROPORTIONAL
    }

    /**
     * One anchor per cluster ({@link Allocation#ONE_PER_CLUSTER}).
     *
     * @throws dev.evomerge.core.EvomergeException (usage) when the task has fewer than {@code k} items
     */
    public static Anchors select(CalibrationMatrix calibration, int k, long seed) {
        return select(calibration, k, seed, Allocation.ONE_PER_CLUSTER);
    }

    /** @throws dev.evomerge.core.EvomergeException (usage) when the task has fewer than {@code k} items */
    public static Anchors select(CalibrationMatrix calibration, int k, long seed, Allocation allocation) {
        int n = calibration.itemCount();
        EstimatorInputs.requireEnoughDocuments(calibration.task(), n, k);
        double[][] vectors = itemVectors(calibration);
        SplittableRandom random = EstimatorInputs.random(seed, calibration.task());
        double[][] centres = seedCentres(vectors, k, random);
        int[] cluster = new int[n];
        assign(vectors, centres, cluster);
        for (int iteration = 0; iteration < MAX_ITERATIONS; iteration++) {
            recentre(vectors, cluster, centres);
            if (!assign(vectors, centres, cluster)) {
                break;
            }
        }
        recentre(vectors, cluster, centres);
        return switch (allocation) {
            case ONE_PER_CLUSTER -> anchors(calibration, vectors, centres, cluster);
            case PROPORTIONAL -> proportionalAnchors(calibration, centres, cluster, k, random);
        };
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

    /** {@link Allocation#PROPORTIONAL}: K anchors spread over the clusters in proportion to their sizes. */
    private static Anchors proportionalAnchors(CalibrationMatrix calibration, double[][] centres, int[] cluster, int k,
                                               SplittableRandom random) {
        int n = cluster.length;
        int clusters = centres.length;
        int[] sizes = new int[clusters];
        for (int c : cluster) {
            sizes[c]++;
        }
        int[] quota = new int[clusters];
        int given = 0;
        for (int c = 0; c < clusters; c++) {
            quota[c] = (int) ((long) k * sizes[c] / n);
            given += quota[c];
        }
        Integer[] byRemainder = new Integer[clusters];
        for (int c = 0; c < clusters; c++) {
            byRemainder[c] = c;
        }
        Arrays.sort(byRemainder, Comparator.<Integer>comparingLong(c -> -((long) k * sizes[c] % n))
                .thenComparingInt(c -> -sizes[c]).thenComparingInt(c -> c));
        for (int i = 0; given < k; i++, given++) {
            quota[byRemainder[i]]++;
        }
        // a cluster without anchors joins the nearest cluster with some (lowest index on ties)
        int[] home = new int[clusters];
        for (int c = 0; c < clusters; c++) {
            home[c] = c;
            if (quota[c] == 0 && sizes[c] > 0) {
                double best = Double.POSITIVE_INFINITY;
                for (int o = 0; o < clusters; o++) {
                    double d = squaredDistance(centres[c], centres[o]);
                    if (quota[o] > 0 && d < best) {
                        best = d;
                        home[c] = o;
                    }
                }
            }
        }
        List<List<Integer>> members = new ArrayList<>();
        for (int c = 0; c < clusters; c++) {
            members.add(new ArrayList<>());
        }
        for (int j = 0; j < n; j++) {
            members.get(home[cluster[j]]).add(j);
        }
        List<Anchor> anchors = new ArrayList<>(k);
        for (int c = 0; c < clusters; c++) {
            List<Integer> pool = members.get(c);
            if (quota[c] == 0) {
                continue;
            }
            double weight = (double) pool.size() / n / quota[c];
            for (int i = 0; i < quota[c]; i++) {
                int pick = i + random.nextInt(pool.size() - i);
                pool.set(pick, pool.set(i, pool.get(pick)));
                int column = pool.get(i);
                anchors.add(new Anchor(column, calibration.items().get(column).document(), weight, pool.size()));
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
