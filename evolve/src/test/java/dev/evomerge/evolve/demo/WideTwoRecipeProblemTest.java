package dev.evomerge.evolve.demo;

import dev.evomerge.evolve.CandidateEvaluationOptions;
import dev.evomerge.evolve.EvolutionLauncher;
import dev.evomerge.evolve.EvolveOptions;
import dev.evomerge.evolve.LlmOptions;
import dev.evomerge.evolve.OptimizerKind;
import dev.evomerge.evolve.SearchOptions;
import dev.evomerge.evolve.run.Candidate;
import dev.evomerge.evolve.run.CandidateEvaluator;
import dev.evomerge.evolve.run.MetricKey;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class WideTwoRecipeProblemTest {

    @TempDir
    Path dir;

    @Test
    void recipesAreMirroredPointsNearTheEndsAndDependOnlyOnTheSeed() {
        double[][] r = WideTwoRecipeProblem.recipes(3, 24);
        assertThat(r[0]).hasSize(24).containsExactly(WideTwoRecipeProblem.recipes(3, 24)[0]);
        int high = 0;
        for (int i = 0; i < 24; i++) {
            double a = r[0][i];
            assertThat(a < 0.5 ? a : 1 - a).isBetween(0.05, 0.25);
            assertThat(r[1][i]).isCloseTo(1 - a, within(1e-12));
            high += a > 0.5 ? 1 : 0;
        }
        assertThat(high).isBetween(4, 20); // the coin picks both ends, not one
        assertThat(WideTwoRecipeProblem.recipes(4, 24)[0]).isNotEqualTo(r[0]);
        assertThatThrownBy(() -> new WideTwoRecipeProblem.Shape(4, 1, 10)).hasMessageContaining("2 fine-tunes");
        assertThatThrownBy(() -> new WideTwoRecipeProblem.Shape(4, 3, 10, 0)).hasMessageContaining("fine-tune scale");
        // without a scale the shape keeps the demo's fine-tunes
        assertThat(new WideTwoRecipeProblem.Shape(4, 3, 10).fineTuneScale()).isEqualTo(HiddenRecipe.DEFAULT_SCALE);
    }

    @Test
    void eachHiddenRecipeScoresOneOnTheTaskItLabelsAndTheTasksConflict() {
        WideTwoRecipeProblem.Shape shape = new WideTwoRecipeProblem.Shape(2, 3, 16);
        WideTwoRecipeProblem.Setup setup = WideTwoRecipeProblem.prepare(dir.resolve("problem"), 2, shape, 2);
        EvolveOptions options = new EvolveOptions(setup.genomeFile(), dir.resolve("run"), false,
                SearchOptions.of(OptimizerKind.RANDOM, 0, 1), LlmOptions.of("gpt-4o", null, null),
                CandidateEvaluationOptions.inMemory(setup.taskDirs(), 16, 2), false, false, false);
        EvolutionLauncher launcher = new EvolutionLauncher(options, w -> { });
        EvolutionLauncher.Prepared p = launcher.prepare();
        // the genome file read back has one gene per layer and fine-tune, and names both tasks
        assertThat(p.genome().layout().size()).isEqualTo(shape.genes()).isEqualTo(6);
        List<MetricKey> keys = p.config().tasks().stream().map(MetricKey::of).toList();
        assertThat(keys).hasSize(2);
        double[][] targets = {setup.firstRecipeGenes(), setup.secondRecipeGenes()};
        List<Candidate> cs = new ArrayList<>();
        for (int k = 0; k < 2; k++) {
            cs.add(new Candidate(0, k, targets[k], p.genome().decode(targets[k])));
        }
        double[][] scores = new double[2][2];
        try (CandidateEvaluator evaluator = launcher.localEvaluator(p)) {
            evaluator.evaluate(cs, e -> {
                for (int t = 0; t < 2; t++) {
                    scores[e.candidate().index()][t] = e.metrics().get(keys.get(t));
                }
            });
        }
        assertThat(scores[0][0]).isEqualTo(1.0);
        assertThat(scores[1][1]).isEqualTo(1.0);
        // each recipe misses some answers of the other's task: no single recipe is best on both
        assertThat(scores[0][1]).isLessThan(1.0);
        assertThat(scores[1][0]).isLessThan(1.0);
    }
}
