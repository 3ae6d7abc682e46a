package dev.evomerge.evolve.pareto;

import dev.evomerge.evolve.optimizer.Population;
import dev.evomerge.evolve.optimizer.RandomSearch;
import dev.evomerge.evolve.optimizer.RandomStreams;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * NSGA-II (Deb, Pratap, Agarwal, Meyarivan 2002) as an ask/tell maximiser of several objectives on [0, 1]^n.
 *
 * <ul>
 *   <li>While the population is empty (before the first {@link #tell}) {@link #ask()} samples uniformly: the first
 *       generation of a {@link RandomSearch} with the same seed.</li>
 *   <li>Later asks breed offspring: each parent is the winner of a binary tournament between two distinct members
 *       (lower rank wins, then larger crowding distance, then a coin), a pair of parents gives two children by
 *       {@link SimulatedBinaryCrossover} and each child is changed by {@link PolynomialMutation}.</li>
 *   <li>{@link #tell} merges the population with the told candidates (mu + lambda) and keeps the best
 *       {@code populationSize}: whole fronts by rank while they fit, then the members of the front that does not fit
 *       with the largest crowding distance (ties: earlier first, the population before the candidates). Duplicate
 *       elimination: a candidate whose objective vector is the same point as one earlier in that order is ranked
 *       after every distinct one, so the population holds as many distinct trade-offs as it can.</li>
 *   <li>Rank and crowding distance used by the tournament are those of the survivors among themselves (repeats
 *       again ranked last); {@link #front()} is rank 0, so it holds one member per distinct point, the earliest.</li>
 * </ul>
 *
 * The random numbers of generation g come from {@link RandomStreams#forGeneration}(seed, "nsga2", g), and the state
 * holds the population with its objective vectors, so a restored optimizer asks for exactly what the uninterrupted one
 * would have asked for. Asking twice without telling gives the same candidates.
 */
public final class Nsga2 implements MultiObjectiveOptimizer {

    /** Everything a run needs to resume; ranks and crowding distances are recomputed from the objectives. */
    public record State(int dimension, int objectiveCount, int populationSize, long seed, int generation,
                        SimulatedBinaryCrossover crossover, PolynomialMutation mutation,
                        double[][] genes, double[][] objectives) {
    }

    private final int dimension;
    private final int objectiveCount;
    private final int populationSize;
    private final long seed;
    private final SimulatedBinaryCrossover crossover;
    private final PolynomialMutation mutation;

    private int generation;
    private double[][] genes;
    private double[][] objectives;
    private int[] rank;
    private double[] crowding;

    /** {@link Population#defaultSize} rounded up to even, since offspring come in pairs. */
    public static int defaultPopulationSize(int dimension) {
        int size = Population.defaultSize(dimension);
        return size + (size & 1);
    }

    /** A fresh run with the default operators: SBX (0.9, 0.5, eta 15), polynomial mutation (1/n, eta 20). */
    public Nsga2(int dimension, int objectiveCount, int populationSize, long seed) {
        this(new State(dimension, objectiveCount, populationSize, seed, 0, SimulatedBinaryCrossover.defaults(),
                PolynomialMutation.defaults(dimension), new double[0][], new double[0][]));
    }

    public Nsga2(State s) {
        if (s.dimension() < 1 || s.objectiveCount() < 1) {
            throw new IllegalArgumentException("NSGA-II needs at least one gene and one objective");
        }
        if (s.populationSize() < 2 || s.populationSize() % 2 != 0) {
            throw new IllegalArgumentException("NSGA-II needs an even population size of at least 2: " + s.populationSize());
        }
        if (s.genes().length != s.objectives().length || s.genes().length > s.populationSize()) {
            throw new IllegalArgumentException("NSGA-II state has " + s.genes().length + " members and "
                    + s.objectives().length + " objective vectors for a population of " + s.populationSize());
        }
        dimension = s.dimension();
        objectiveCount = s.objectiveCount();
        populationSize = s.populationSize();
        seed = s.seed();
        crossover = s.crossover();
        mutation = s.mutation();
        generation = s.generation();
        checkMembers(Arrays.asList(s.genes()), s.objectives());
        adopt(deepCopy(s.genes()), deepCopy(s.objectives()));
    }

    @Override
    public String name() {
        return "nsga2";
    }

    @Override
    public int dimension() {
        return dimension;
    }

    @Override
    public int objectiveCount() {
        return objectiveCount;
    }

    public int populationSize() {
        return populationSize;
    }

    @Override
    public List<double[]> ask() {
        if (genes.length == 0) {
            return new RandomSearch(dimension, populationSize, seed).ask();
        }
        SplittableRandom rng = RandomStreams.forGeneration(seed, "nsga2", generation);
        List<double[]> out = new ArrayList<>(populationSize);
        while (out.size() < populationSize) {
            double[] a = genes[tournament(rng)];
            double[] b = genes[tournament(rng)];
            double[][] children = crossover.cross(a, b, rng);
            out.add(mutation.mutate(children[0], rng));
            out.add(mutation.mutate(children[1], rng));
        }
        return out;
    }

    @Override
    public void tell(List<double[]> candidates, double[][] scores) {
        if (candidates.size() != scores.length) {
            throw new IllegalArgumentException(candidates.size() + " candidates but " + scores.length + " objective vectors");
        }
        checkMembers(candidates, scores);
        int total = genes.length + candidates.size();
        double[][] poolGenes = new double[total][];
        double[][] poolScores = new double[total][];
        for (int i = 0; i < genes.length; i++) {
            poolGenes[i] = genes[i];
            poolScores[i] = objectives[i];
        }
        for (int k = 0; k < candidates.size(); k++) {
            poolGenes[genes.length + k] = candidates.get(k).clone();
            poolScores[genes.length + k] = scores[k].clone();
        }
        int[] survivors = survivors(poolScores, populationSize);
        double[][] nextGenes = new double[survivors.length][];
        double[][] nextScores = new double[survivors.length][];
        for (int k = 0; k < survivors.length; k++) {
            nextGenes[k] = poolGenes[survivors[k]];
            nextScores[k] = poolScores[survivors[k]];
        }
        adopt(nextGenes, nextScores);
        generation++;
    }

    @Override
    public State state() {
        return new State(dimension, objectiveCount, populationSize, seed, generation, crossover, mutation,
                deepCopy(genes), deepCopy(objectives));
    }

    @Override
    public List<FrontMember> front() {
        List<FrontMember> front = new ArrayList<>();
        for (int i = 0; i < genes.length; i++) {
            if (rank[i] == 0 && !ParetoFront.isFailed(objectives[i])) {
                front.add(new FrontMember(genes[i].clone(), objectives[i].clone()));
            }
        }
        return front;
    }

    /**
     * The indices of the {@code size} vectors NSGA-II keeps, with duplicate elimination: a vector that is the same point
     * as an earlier one ({@link ParetoFront#repeats}) is ranked after every distinct vector, so repeats survive only
     * when there are fewer distinct points than places. Among the distinct vectors (and then among the repeats): whole
     * fronts by rank, then the rest of the places from the first front that does not fit, by crowding distance
     * (largest first, ties by index). Without it, accuracies on a few dozen questions (which take few values) let
     * candidates with the same objective vector fill the population and its front, and the search loses diversity.
     */
    static int[] survivors(double[][] scores, int size) {
        if (scores.length <= size) {
            return IntStream.range(0, scores.length).toArray();
        }
        int[] kept = new int[size];
        int filled = 0;
        for (List<int[]> fronts : rankedLayers(scores)) {
            for (int[] front : fronts) {
                if (filled == size) {
                    return kept;
                }
                if (filled + front.length <= size) {
                    System.arraycopy(front, 0, kept, filled, front.length);
                    filled += front.length;
                    continue;
                }
                double[] distance = ParetoFront.crowdingDistance(scores, front);
                Integer[] order = IntStream.range(0, front.length).boxed().toArray(Integer[]::new);
                Arrays.sort(order, Comparator.comparingDouble((Integer k) -> -distance[k]).thenComparingInt(k -> front[k]));
                for (int r = 0; filled < size; r++) {
                    kept[filled++] = front[order[r]];
                }
                return kept;
            }
        }
        return kept;
    }

    /**
     * The fronts (indices into {@code scores}, best first) of the distinct vectors, then separately those of the
     * repeats: every repeat ranks after every distinct vector.
     */
    static List<List<int[]>> rankedLayers(double[][] scores) {
        boolean[] repeat = ParetoFront.repeats(scores);
        int[] distinct = IntStream.range(0, scores.length).filter(i -> !repeat[i]).toArray();
        int[] repeated = IntStream.range(0, scores.length).filter(i -> repeat[i]).toArray();
        return List.of(fronts(scores, distinct), fronts(scores, repeated));
    }

    /** Non-dominated sorting of the vectors at {@code subset}, as indices into {@code scores}. */
    private static List<int[]> fronts(double[][] scores, int[] subset) {
        double[][] sub = new double[subset.length][];
        for (int k = 0; k < subset.length; k++) {
            sub[k] = scores[subset[k]];
        }
        List<int[]> out = new ArrayList<>();
        for (int[] front : ParetoFront.nonDominatedSort(sub)) {
            out.add(Arrays.stream(front).map(k -> subset[k]).toArray());
        }
        return out;
    }

    /**
     * Makes these members the population and computes their ranks and crowding distances among themselves, repeats
     * ranked after every distinct member (as in {@link #survivors}), so the tournament prefers distinct trade-offs.
     */
    private void adopt(double[][] newGenes, double[][] newScores) {
        genes = newGenes;
        objectives = newScores;
        rank = new int[genes.length];
        crowding = new double[genes.length];
        int base = 0;
        for (List<int[]> fronts : rankedLayers(objectives)) {
            for (int k = 0; k < fronts.size(); k++) {
                int[] front = fronts.get(k);
                double[] distance = ParetoFront.crowdingDistance(objectives, front);
                for (int r = 0; r < front.length; r++) {
                    rank[front[r]] = base + k;
                    crowding[front[r]] = distance[r];
                }
            }
            base += fronts.size();
        }
    }

    /** Binary tournament between two distinct members: lower rank, then larger crowding distance, then a coin. */
    private int tournament(SplittableRandom rng) {
        int n = genes.length;
        if (n == 1) {
            return 0;
        }
        int a = rng.nextInt(n);
        int b = rng.nextInt(n - 1);
        if (b >= a) {
            b++;
        }
        if (rank[a] != rank[b]) {
            return rank[a] < rank[b] ? a : b;
        }
        if (crowding[a] != crowding[b]) {
            return crowding[a] > crowding[b] ? a : b;
        }
        return rng.nextBoolean() ? a : b;
    }

    private void checkMembers(List<double[]> members, double[][] scores) {
        for (int k = 0; k < members.size(); k++) {
            double[] x = members.get(k);
            if (x.length != dimension) {
                throw new IllegalArgumentException("candidate " + k + " has " + x.length + " genes, NSGA-II has " + dimension);
            }
            for (double v : x) {
                if (!(v >= 0 && v <= 1)) {
                    throw new IllegalArgumentException("candidate " + k + " has a gene outside [0, 1]: " + v);
                }
            }
            if (scores[k].length != objectiveCount) {
                throw new IllegalArgumentException("candidate " + k + " has " + scores[k].length + " objectives, NSGA-II has "
                        + objectiveCount);
            }
        }
    }

    private static double[][] deepCopy(double[][] m) {
        double[][] c = new double[m.length][];
        for (int i = 0; i < m.length; i++) {
            c[i] = m[i].clone();
        }
        return c;
    }
}
