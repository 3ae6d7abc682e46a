package dev.evomerge.evolve.optimizer;

import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;

/**
 * Reproducible random streams: each (seed, purpose, generation) gets its own generator, so a resumed run draws exactly
 * what an uninterrupted one would without serialising generator state.
 */
public final class RandomStreams {

    private RandomStreams() {
    }

    /** The generator for one purpose (e.g. "sample") in one generation. */
    public static SplittableRandom forGeneration(long seed, String purpose, int generation) {
        long h = mix(seed ^ 0x9E3779B97F4A7C15L);
        for (int i = 0; i < purpose.length(); i++) {
            h = mix(h ^ purpose.charAt(i));
        }
        return new SplittableRandom(mix(h ^ generation));
    }

    /** {@code n} successive draws of {@code next}, e.g. {@code rng::nextGaussian}. */
    static double[] draws(int n, DoubleSupplier next) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = next.getAsDouble();
        }
        return v;
    }

    /** SplitMix64's finaliser: spreads nearby inputs over the whole 64-bit range. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
