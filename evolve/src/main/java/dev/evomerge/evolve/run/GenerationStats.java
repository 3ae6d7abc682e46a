package dev.evomerge.evolve.run;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Fitness statistics of one generation, over the candidates that produced a score: the best and mean score (NaN when
 * none scored), how many candidates there were and how many failed, and the best score of this and every earlier
 * generation (NaN while none scored). The run's progress lines, the dashboard and the report all show these.
 */
public record GenerationStats(int generation, int candidates, int failed, double best, double mean, double bestSoFar) {

    /**
     * The statistics of one generation's evaluations, summed in the order given.
     *
     * @param bestBefore the best score of the earlier generations, NaN when none scored
     */
    public static GenerationStats of(int generation, Collection<Evaluation> evaluations, double bestBefore) {
        double[] scores = evaluations.stream().filter(Evaluation::ok).mapToDouble(Evaluation::score).toArray();
        double best = Arrays.stream(scores).max().orElse(Double.NaN);
        double mean = Arrays.stream(scores).average().orElse(Double.NaN);
        double bestSoFar = Double.isNaN(bestBefore) ? best : Double.isNaN(best) ? bestBefore : Math.max(bestBefore, best);
        return new GenerationStats(generation, evaluations.size(), evaluations.size() - scores.length, best, mean, bestSoFar);
    }

    /** The statistics of every generation of a run's evaluations, in generation order. */
    public static List<GenerationStats> ofRun(Collection<Evaluation> evaluations) {
        Map<Integer, List<Evaluation>> byGeneration = new TreeMap<>();
        for (Evaluation e : evaluations) {
            byGeneration.computeIfAbsent(e.candidate().generation(), g -> new ArrayList<>()).add(e);
        }
        List<GenerationStats> out = new ArrayList<>();
        double bestSoFar = Double.NaN;
        for (var g : byGeneration.entrySet()) {
            GenerationStats s = of(g.getKey(), g.getValue(), bestSoFar);
            bestSoFar = s.bestSoFar();
            out.add(s);
        }
        return out;
    }

    /** Whether any candidate of the generation produced a score. */
    public boolean scored() {
        return !Double.isNaN(best);
    }
}
