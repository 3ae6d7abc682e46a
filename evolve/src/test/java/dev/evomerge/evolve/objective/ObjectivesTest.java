package dev.evomerge.evolve.objective;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.evolve.genome.TaskSpec;
import dev.evomerge.evolve.run.Candidate;
import dev.evomerge.evolve.run.Evaluation;
import dev.evomerge.evolve.run.MetricKey;
import dev.evomerge.evolve.run.Recipe;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ObjectivesTest {

    static final List<TaskSpec> TASKS = List.of(new TaskSpec("math", 1, "exact_match,strict"), new TaskSpec("lang", 2, "acc,none"));

    /** A cost that counts its calls, standing in for params (which needs models on disk). */
    static final class Fixed implements CostMeasure {
        int calls;

        @Override
        public String name() {
            return "params";
        }

        @Override
        public double cost(Candidate candidate) {
            calls++;
            return 1234;
        }
    }

    @Test
    void aBareTaskReadsItsOwnMetricAndTaskSlashMetricAnother() {
        List<Objective> o = Objectives.parse(List.of("math", "lang/acc_norm,none", "params"), TASKS, "--objectives");
        assertThat(o).containsExactly(Objective.of(new MetricKey("math", "exact_match,strict")),
                Objective.of(new MetricKey("lang", "acc_norm,none")), Objective.cost("params"));
        assertThat(o).extracting(Objective::minimised).containsExactly(false, false, true);
        assertThat(o.get(2).maximised(5)).isEqualTo(-5);
    }

    @Test
    void measuresMetricsAsReportedAndCostsAsTheyAreButComparesCostsNegated() {
        Fixed params = new Fixed();
        try (Objectives o = Objectives.of(Objectives.parse(List.of("lang", "params"), TASKS, "x"), name -> params)) {
            Candidate c = new Candidate(0, 0, new double[] {0.5}, Recipe.ofText("merge_method: linear\n", "test"));
            Evaluation e = new Evaluation(c, 1.0, Map.of(new MetricKey("lang", "acc,none"), 0.75), null, 0, 0, "t");
            assertThat(o.measure(e)).containsExactly(0.75, 1234);
            assertThat(o.maximised(o.measure(e))).containsExactly(0.75, -1234);
            assertThat(params.calls).isEqualTo(2);
            Evaluation missing = new Evaluation(c, 1.0, Map.of(new MetricKey("lang", "acc_norm,none"), 0.5), null, 0, 0, "t");
            assertThatThrownBy(() -> o.measure(missing)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("the objective lang/acc,none has no value in the candidate's results");
        }
    }

    @Test
    void refusesTooFewRepeatedUnknownAndLayers() {
        assertThatThrownBy(() -> Objectives.parse(List.of("math"), TASKS, "--objectives")).isInstanceOf(EvomergeException.class)
                .hasMessage("--objectives needs at least two objectives (one is what the weighted sum of tasks does), got 1.");
        assertThatThrownBy(() -> Objectives.parse(List.of("math", "math/exact_match,strict"), TASKS, "--objectives"))
                .hasMessage("--objectives names the objective 'math/exact_match,strict' twice.");
        assertThatThrownBy(() -> Objectives.parse(List.of("math", "code"), TASKS, "g.yml: objectives"))
                .hasMessage("g.yml: objectives: 'code' is neither 'params' nor a task of the genome file's tasks (math, lang).");
        assertThatThrownBy(() -> Objectives.parse(List.of("math", "layers"), TASKS, "--objectives"))
                .hasMessage("--objectives: " + Objectives.LAYERS_REFUSED);
        assertThatThrownBy(() -> Objectives.parse(List.of("math", "lang/"), TASKS, "--objectives"))
                .hasMessage("--objectives: 'lang/' names no metric after '/'.");
    }
}
