package dev.evomerge.evolve.pareto;

import dev.evomerge.evolve.optimizer.RandomSearch;

import java.util.List;

/**
 * Random search given several objectives: it asks exactly what {@link RandomSearch} with the same seed asks (the
 * objectives do not steer it) and keeps the front of what it was told. Its name is "random", like the one it wraps.
 */
public final class RandomParetoSearch implements MultiObjectiveOptimizer {

    /** The wrapped search's state and the front so far. */
    public record State(RandomSearch.State search, int objectiveCount, FrontArchive.State front) {
    }

    private final RandomSearch search;
    private final int objectiveCount;
    private final FrontArchive front;

    public RandomParetoSearch(int dimension, int objectiveCount, int populationSize, long seed) {
        this(new State(new RandomSearch(dimension, populationSize, seed).state(), objectiveCount, null));
    }

    public RandomParetoSearch(State state) {
        this.search = new RandomSearch(state.search());
        this.objectiveCount = state.objectiveCount();
        this.front = new FrontArchive(state.front());
    }

    @Override
    public String name() {
        return search.name();
    }

    @Override
    public int dimension() {
        return search.dimension();
    }

    @Override
    public int objectiveCount() {
        return objectiveCount;
    }

    @Override
    public List<double[]> ask() {
        return search.ask();
    }

    @Override
    public void tell(List<double[]> candidates, double[][] objectives) {
        search.tell(candidates, new double[candidates.size()]);
        front.addAll(candidates, objectives);
    }

    @Override
    public State state() {
        return new State(search.state(), objectiveCount, front.state());
    }

    @Override
    public List<FrontMember> front() {
        return front.members();
    }
}
