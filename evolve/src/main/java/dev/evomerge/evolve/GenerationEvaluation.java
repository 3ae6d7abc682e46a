package dev.evomerge.evolve;

import dev.evomerge.merge.config.MergeConfig;
import dev.evomerge.evolve.run.Candidate;
import dev.evomerge.evolve.run.CandidateEvaluator;
import dev.evomerge.evolve.run.Evaluation;
import dev.evomerge.evolve.run.EvolutionListener;
import dev.evomerge.evolve.store.RunStore;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * One generation's candidates evaluated, shared by the single- and multi-objective loops: a candidate run.db already
 * holds with the same genes (a resumed run) is taken from it, the others are evaluated, scored by {@code score} and
 * recorded as each finishes.
 *
 * @param results   one evaluation per candidate, in the optimizer's order
 * @param evaluated how many were evaluated now (not taken from run.db)
 */
record GenerationEvaluation(Evaluation[] results, int evaluated) {

    static GenerationEvaluation run(RunStore store, Function<double[], MergeConfig> decode, CandidateEvaluator evaluator, EvolutionListener listener,
                                    int generation, List<double[]> genes, UnaryOperator<Evaluation> score) {
        Map<Integer, Evaluation> recorded = new HashMap<>();
        for (Evaluation r : store.candidates(generation)) {
            recorded.put(r.candidate().index(), r);
        }
        Evaluation[] results = new Evaluation[genes.size()];
        List<Candidate> todo = new ArrayList<>();
        for (int k = 0; k < genes.size(); k++) {
            Evaluation r = recorded.get(k);
            if (r != null && Arrays.equals(r.candidate().genes(), genes.get(k))) {
                results[k] = r;
            } else {
                todo.add(new Candidate(generation, k, genes.get(k), decode.apply(genes.get(k))));
            }
        }
        listener.generationStarted(generation, genes.size(), genes.size() - todo.size());
        evaluator.evaluate(todo, e -> {
            Evaluation scored = score.apply(e);
            store.recordCandidate(scored);
            synchronized (results) {
                results[scored.candidate().index()] = scored;
            }
            listener.candidateDone(scored);
        });
        for (int k = 0; k < results.length; k++) {
            if (results[k] == null) {
                throw new IllegalStateException("the evaluator returned no result for candidate " + k + " of generation " + generation);
            }
        }
        return new GenerationEvaluation(results, todo.size());
    }
}
