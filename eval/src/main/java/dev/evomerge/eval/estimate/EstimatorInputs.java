package dev.evomerge.eval.estimate;

import dev.evomerge.core.EvomergeException;

import java.util.SplittableRandom;

/** Checks and random streams shared by the selectors. */
final class EstimatorInputs {

    private EstimatorInputs() {
    }

    /** A task must have at least K documents to choose K of them. */
    static void requireEnoughDocuments(String task, int documents, int k) {
        if (k < 1) {
            throw EvomergeException.usage("--anchors must be at least 1, got " + k + ".");
        }
        if (documents < k) {
            throw EvomergeException.usage("task " + task + " has " + documents + " documents, fewer than --anchors "
                    + k + "; lower --anchors to at most " + documents + " or use --fitness-estimator full.");
        }
    }

    /**
     * The generator for one task under one seed. The task name is mixed in so that one run seed draws independent
     * subsets for different tasks; String.hashCode is fixed by the Java specification, so the draw is reproducible.
     */
    static SplittableRandom random(long seed, String task) {
        return new SplittableRandom(seed * 0x9E3779B97F4A7C15L + task.hashCode());
    }
}
