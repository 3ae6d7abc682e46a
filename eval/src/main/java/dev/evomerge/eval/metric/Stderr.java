package dev.evomerge.eval.metric;

import dev.evomerge.eval.python.PythonRandom;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;

/**
 * Standard errors as lm-eval computes them: closed form for mean aggregations, a bootstrap with lm-eval's exact
 * resampling stream (chunks of at most 1000 resamples, chunk i drawn from {@code random.Random(i)}) for the others.
 */
public final class Stderr {

    private Stderr() {
    }

    /**
     * The stderr of {@code aggregation} over {@code items}, or empty where lm-eval reports "N/A" (no method for the
     * aggregation, fewer than two documents, or {@code bootstrapIters <= 0}).
     */
    public static OptionalDouble of(Aggregation aggregation, List<SampleValue> items, int bootstrapIters) {
        if (bootstrapIters <= 0 || items.size() < 2) {
            return OptionalDouble.empty();
        }
        return switch (aggregation.stderrMethod()) {
            case CLOSED_FORM -> OptionalDouble.of(meanStderr(Aggregation.scalars(items)));
            case BOOTSTRAP -> OptionalDouble.of(bootstrap(aggregation, items, bootstrapIters));
            case NONE -> OptionalDouble.empty();
        };
    }

    /** {@code sample_stddev(xs) / sqrt(n)} with the sample standard deviation (n - 1 in the denominator). */
    public static double meanStderr(double[] xs) {
        return sampleStddev(xs) / Math.sqrt(xs.length);
    }

    /** lm-eval's sample_stddev: Python sums, Bessel-corrected. */
    public static double sampleStddev(double[] xs) {
        double mu = Aggregation.mean(xs);
        double ss = 0;
        for (double x : xs) {
            ss += (x - mu) * (x - mu);
        }
        return Math.sqrt(ss / (xs.length - 1));
    }

    /** lm-eval's bootstrap_stderr: the sample stddev of the aggregate over {@code iters} resamples. */
    public static double bootstrap(Aggregation aggregation, List<SampleValue> items, int iters) {
        int chunk = Math.min(1000, iters);
        int chunks = iters / chunk;
        int n = items.size();
        double[] results = new double[chunks * chunk];
        int r = 0;
        boolean scalar = aggregation == Aggregation.MEAN || aggregation == Aggregation.PERPLEXITY
                || aggregation == Aggregation.MEDIAN;
        double[] xs = scalar ? Aggregation.scalars(items) : null;
        List<SampleValue> resample = new ArrayList<>(n);
        for (int c = 0; c < chunks; c++) {
            PythonRandom rnd = new PythonRandom(c);
            for (int k = 0; k < chunk; k++) {
                int[] idx = rnd.choiceIndices(n, n);
                if (scalar) {
                    results[r++] = scalarAggregate(aggregation, xs, idx);
                } else {
                    resample.clear();
                    for (int i : idx) {
                        resample.add(items.get(i));
                    }
                    results[r++] = aggregation.apply(resample);
                }
            }
        }
        return sampleStddev(results);
    }

    private static double scalarAggregate(Aggregation aggregation, double[] xs, int[] idx) {
        if (aggregation == Aggregation.MEDIAN) {
            return xs[idx[idx.length / 2]];
        }
        double sum = 0;
        for (int i : idx) {
            sum += xs[i];
        }
        double mean = sum / idx.length;
        return aggregation == Aggregation.PERPLEXITY ? Math.exp(-mean) : mean;
    }
}
