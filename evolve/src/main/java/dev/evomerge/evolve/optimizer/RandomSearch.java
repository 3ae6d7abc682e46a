package dev.evomerge.evolve.optimizer;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Uniform random search over [0, 1]^n: the baseline every other optimizer must beat. */
public final class RandomSearch implements Optimizer {

    /** Resume state: the next generation index is all a seeded random search needs. */
    public record State(int dimension, int populationSize, long seed, int generation) {
    }

    private final int dimension;
    private final int populationSize;
    private final long seed;
    private int generation;

    public RandomSearch(int dimension, int populationSize, long seed) {
        this(new State(dimension, populationSize, seed, 0));
    }

    public RandomSearch(State state) {
        if (state.dimension() < 1 || state.populationSize() < 1) {
            throw new IllegalArgumentException("random search needs a positive dimension and population size");
        }
        this.dimension = state.dimension();
        this.populationSize = state.populationSize();
        this.seed = state.seed();
        this.generation = state.generation();
    }

    @Override
    public String name() {
        return "random";
    }

    @Override
    public int dimension() {
        return dimension;
    }

    @Override
    public List<double[]> ask() {
        SplittableRandom rng = RandomStreams.forGeneration(seed, "random-search", generation);
        List<double[]> out = new ArrayList<>(populationSize);
        for (int k = 0; k < populationSize; k++) {
            out.add(RandomStreams.draws(dimension, rng::nextDouble));
        }
        return out;
    }

    @Override
    public void tell(List<double[]> candidates, double[] fitness) {
        if (candidates.size() != fitness.length) {
            throw new IllegalArgumentException(candidates.size() + " candidates but " + fitness.length + " fitness values");
        }
        generation++;
    }

    @Override
    public State state() {
        return new State(dimension, populationSize, seed, generation);
    }
}
