package dev.evomerge.bench;

import dev.evomerge.eval.DocumentChoice;
import dev.evomerge.evolve.CandidateEvaluationOptions;
import dev.evomerge.evolve.EvolutionLauncher;
import dev.evomerge.evolve.EvolveOptions;
import dev.evomerge.evolve.LlmOptions;
import dev.evomerge.evolve.OptimizerKind;
import dev.evomerge.evolve.SearchOptions;
import dev.evomerge.evolve.fitness.FitnessOptions;
import dev.evomerge.evolve.run.Candidate;
import dev.evomerge.evolve.run.CandidateEvaluator;
import dev.evomerge.evolve.run.DocumentEvaluator;
import dev.evomerge.evolve.run.Evaluation;
import dev.evomerge.evolve.run.Fitness;
import dev.evomerge.evolve.store.RunStore;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Evaluates chosen generations of a finished estimated run on the whole task and prints each candidate's estimate
 * (the fitness the search saw) beside its whole-task fitness: how noisy the estimates were where the search was.
 *
 * <p>Usage: {@code WholeTaskCheck GENOME TASK_DIR RUN_DIR GENERATIONS [--threads N]}, e.g. for
 * {@link EstimatedEvolutionBench}'s second task of seed 1: {@code WORK/seed-1/genome-second.yml WORK/seed-1/second-task
 * WORK/seed-1/second-irt-recalibrate5 15,20}. Nothing is written to the run.
 */
public final class WholeTaskCheck {

    private WholeTaskCheck() {
    }

    public static void main(String[] args) throws IOException {
        Path genome = Path.of(args[0]);
        Path task = Path.of(args[1]);
        Path run = Path.of(args[2]);
        Set<Integer> generations = Stream.of(args[3].split(",")).map(Integer::parseInt).collect(Collectors.toSet());
        int threads = args.length > 5 && args[4].equals("--threads") ? Integer.parseInt(args[5])
                : Runtime.getRuntime().availableProcessors();
        Path scratch = Files.createTempDirectory("evomerge-whole-task-check-");
        EvolveOptions o = new EvolveOptions(genome, scratch.resolve("run"), false,
                SearchOptions.of(OptimizerKind.CMAES, 0, 1), LlmOptions.of(LlmOptions.MODEL, null, null),
                CandidateEvaluationOptions.inMemory(List.of(task), 32, threads), false, false, false,
                FitnessOptions.NONE);
        EvolutionLauncher launcher = new EvolutionLauncher(o, w -> { });
        EvolutionLauncher.Prepared p = launcher.prepare();
        List<Candidate> candidates = new ArrayList<>();
        Map<String, Double> estimates = new HashMap<>();
        try (RunStore s = RunStore.openReadOnly(run)) {
            for (Evaluation e : s.allCandidates()) {
                Candidate c = e.candidate();
                if (generations.contains(c.generation()) && e.ok()) {
                    // decoded again: the stored recipe names the models by the paths of the run's genome
                    candidates.add(new Candidate(c.generation(), c.index(), c.genes(), p.genome().decode(c.genes())));
                    estimates.put(c.generation() + "/" + c.index(), e.score());
                }
            }
        }
        System.out.println("| generation/candidate | estimate | whole-task fitness | error |");
        System.out.println("|---|---|---|---|");
        try (CandidateEvaluator evaluator = launcher.localEvaluator(p)) {
            ((DocumentEvaluator) evaluator).evaluate(candidates, DocumentChoice.ALL, s -> {
                Evaluation e = s.evaluation();
                String key = e.candidate().generation() + "/" + e.candidate().index();
                double full = Fitness.score(p.config().tasks(), e.metrics());
                System.out.printf(Locale.ROOT, "| %s | %.4f | %.4f | %+.4f |%n", key, estimates.get(key), full,
                        estimates.get(key) - full);
            });
        }
        EstimatedEvolutionBench.deleteTree(scratch);
    }
}
