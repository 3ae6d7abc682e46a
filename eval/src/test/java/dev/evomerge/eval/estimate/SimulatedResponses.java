package dev.evomerge.eval.estimate;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Per-document results drawn from a known 2PL: discrimination a_j = a * exp(N(0, 0.35^2)) for a typical a given
 * (within a factor of 2 of it for 95% of the items),
 * difficulty b_j ~ N(0, 1), abilities theta_i ~ N(0, 1), and each result 1 with probability
 * sigmoid(a_j (theta_i - b_j)), else 0. Item j's stratum is j mod 4 (as a gold answer index among four choices).
 */
record SimulatedResponses(double[] discrimination, double[] difficulty) {

    static SimulatedResponses items(int n, double typicalDiscrimination, SplittableRandom random) {
        double[] a = new double[n];
        double[] b = new double[n];
        for (int j = 0; j < n; j++) {
            a[j] = typicalDiscrimination * Math.exp(0.35 * random.nextGaussian());
            b[j] = random.nextGaussian();
        }
        return new SimulatedResponses(a, b);
    }

    /** Simulated items, a calibration matrix of 0/1 results of models with N(0, 1) abilities, and the generator. */
    record Calibrated(SimulatedResponses items, CalibrationMatrix calibration, SplittableRandom random) {
    }

    static Calibrated calibrated(long seed, int items, double typicalDiscrimination, int models) {
        SplittableRandom random = new SplittableRandom(seed);
        SimulatedResponses sim = items(items, typicalDiscrimination, random);
        return new Calibrated(sim, sim.matrix("sim", sim.binary(abilities(models, random), random)), random);
    }

    static double[] abilities(int m, SplittableRandom random) {
        double[] theta = new double[m];
        for (int i = 0; i < m; i++) {
            theta[i] = random.nextGaussian();
        }
        return theta;
    }

    double probability(int item, double theta) {
        return 1 / (1 + Math.exp(-discrimination[item] * (theta - difficulty[item])));
    }

    /** 0/1 results of each ability on every item. */
    double[][] binary(double[] abilities, SplittableRandom random) {
        return fractional(abilities, 1, random);
    }

    /** Each result the mean of {@code draws} 0/1 draws: a fractional per-document score such as a per-item f1. */
    double[][] fractional(double[] abilities, int draws, SplittableRandom random) {
        double[][] y = new double[abilities.length][discrimination.length];
        for (int i = 0; i < abilities.length; i++) {
            for (int j = 0; j < discrimination.length; j++) {
                double p = probability(j, abilities[i]);
                int hits = 0;
                for (int t = 0; t < draws; t++) {
                    hits += random.nextDouble() < p ? 1 : 0;
                }
                y[i][j] = (double) hits / draws;
            }
        }
        return y;
    }

    /** The abilities shifted and scaled to mean 0 and standard deviation 1, the scale the fit reports. */
    static double[] standardised(double[] theta) {
        double mean = Arrays.stream(theta).average().orElseThrow();
        double var = Arrays.stream(theta).map(t -> (t - mean) * (t - mean)).average().orElseThrow();
        return Arrays.stream(theta).map(t -> (t - mean) / Math.sqrt(var)).toArray();
    }

    /** The results of one row on the given columns. */
    static double[] pick(double[] row, List<Integer> columns) {
        double[] out = new double[columns.size()];
        for (int c = 0; c < out.length; c++) {
            out[c] = row[columns.get(c)];
        }
        return out;
    }

    static double mean(double[] row) {
        return Arrays.stream(row).average().orElseThrow();
    }

    List<TaskItem> taskItems() {
        List<TaskItem> items = new ArrayList<>();
        for (int j = 0; j < discrimination.length; j++) {
            items.add(TaskItem.of(1000 + j, Integer.toString(j % 4)));
        }
        return items;
    }

    CalibrationMatrix matrix(String task, double[][] results) {
        return CalibrationMatrix.of(task, taskItems(), results);
    }
}
