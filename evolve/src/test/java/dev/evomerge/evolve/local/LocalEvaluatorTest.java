package dev.evomerge.evolve.local;

import dev.evomerge.evolve.CandidateEvaluationOptions;
import dev.evomerge.evolve.EvolutionLauncher;
import dev.evomerge.evolve.EvolveOptions;
import dev.evomerge.evolve.LlmOptions;
import dev.evomerge.evolve.OptimizerKind;
import dev.evomerge.evolve.SearchOptions;
import dev.evomerge.evolve.demo.HiddenRecipe;
import dev.evomerge.evolve.run.Candidate;
import dev.evomerge.evolve.run.CandidateEvaluator;
import dev.evomerge.evolve.run.Evaluation;
import dev.evomerge.evolve.run.MetricKey;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** In-memory and on-disk evaluation of real merges of synthetic models. */
class LocalEvaluatorTest {

    @TempDir
    static Path dir;
    static HiddenRecipe.Setup setup;

    @BeforeAll
    static void models() {
        setup = HiddenRecipe.prepare(dir.resolve("demo"), 3, 24, 2);
    }

    static EvolveOptions options(boolean inMemory, String strategy) {
        return new EvolveOptions(setup.genomeFile(), dir.resolve(inMemory ? "mem" : "disk-" + strategy), false,
                SearchOptions.of(OptimizerKind.CMAES, 2, 7), LlmOptions.of("gpt-4o", null, null),
                new CandidateEvaluationOptions(LocalEvaluator.Strategy.parse(strategy), inMemory, 2, EvaluationBackend.EMBEDDED, null,
                        List.of(setup.taskDir()), null, 16, 1, null), false, false, false);
    }

    static List<Evaluation> evaluate(EvolveOptions o, List<double[]> genes) {
        EvolutionLauncher launcher = new EvolutionLauncher(o, w -> { });
        EvolutionLauncher.Prepared p = launcher.prepare();
        List<Candidate> cs = new ArrayList<>();
        for (int i = 0; i < genes.size(); i++) {
            cs.add(new Candidate(0, i, genes.get(i), p.genome().decode(genes.get(i))));
        }
        List<Evaluation> out = new ArrayList<>();
        try (CandidateEvaluator ev = launcher.localEvaluator(p)) {
            ev.evaluate(cs, out::add);
        }
        out.sort(Comparator.comparingInt(e -> e.candidate().index()));
        return out;
    }

    static final List<double[]> GENES = List.of(HiddenRecipe.TARGET_GENES, new double[] {0.1, 0.9, 0.9, 0.1},
            HiddenRecipe.TARGET_GENES, new double[] {0.5, 0.5, 0.5, 0.5}, new double[] {0.8, 0.2, 0.25, 0.7});

    @Test
    void reMergingIntoTheResidentModelGivesTheSameScoresAsFreshMergesOnDisk() {
        List<Evaluation> mem = evaluate(options(true, "pool"), GENES);
        List<Evaluation> disk = evaluate(options(false, "buffered"), GENES);
        for (int i = 0; i < GENES.size(); i++) {
            assertThat(mem.get(i).error()).as("in-memory %d", i).isNull();
            assertThat(disk.get(i).error()).as("on-disk %d", i).isNull();
            assertThat(mem.get(i).metrics()).as("candidate %d", i).isEqualTo(disk.get(i).metrics());
        }
        // The target labels the task, so it answers every question as the task says; re-merged later it still does.
        MetricKey acc = new MetricKey(setup.taskName(), "acc,none");
        assertThat(mem.get(0).metrics().get(acc)).isEqualTo(1.0);
        assertThat(mem.get(2).metrics().get(acc)).isEqualTo(1.0);
        assertThat(mem.get(1).metrics().get(acc)).isLessThan(1.0);
    }
}
