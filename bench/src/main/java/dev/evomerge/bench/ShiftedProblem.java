package dev.evomerge.bench;

import java.util.SplittableRandom;

/**
 * One benchmark instance: a function in N dimensions with its minimum at {@code optimum}, and the bounded score
 * s = 1 / (1 + f) in (0, 1] that the optimizers maximise (1 at the optimum, like an accuracy).
 */
public record ShiftedProblem(ShiftedFunction function, double[] optimum) {

    /** Optimum coordinates are drawn uniformly from [LOW, HIGH]: away from the box's corners and edges. */
    public static final double LOW = 0.2;
    public static final double HIGH = 0.8;
    /** "95 % of the optimum": s = 1 / (1 + f) >= 0.95, i.e. f <= 1/19. */
    public static final double TARGET_SCORE = 0.95;

    public ShiftedProblem {
        optimum = optimum.clone();
    }

    /** The instance for (function, n, seed): each seed moves the optimum elsewhere, like BBOB's instances. */
    public static ShiftedProblem draw(ShiftedFunction function, int n, long seed) {
        SplittableRandom rng = new SplittableRandom(seed * 1_000_003L + function.ordinal() * 7_919L + n);
        double[] o = new double[n];
        for (int i = 0; i < n; i++) {
            o[i] = LOW + (HIGH - LOW) * rng.nextDouble();
        }
        return new ShiftedProblem(function, o);
    }

    @Override
    public double[] optimum() {
        return optimum.clone();
    }

    public int dimension() {
        return optimum.length;
    }

    public double f(double[] x) {
        return function.value(x, optimum);
    }

    /** The fitness the optimizers see: 1 / (1 + f). */
    public double score(double[] x) {
        return 1 / (1 + f(x));
    }

    public static boolean reached(double score) {
        return score >= TARGET_SCORE;
    }
}
