package dev.evomerge.evolve.run;

import dev.evomerge.evolve.genome.TaskSpec;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MetricKeyTest {

    @Test
    void theTextFormIsTaskSlashMetricAndParsesBack() {
        MetricKey k = MetricKey.of(new TaskSpec("mc_task", 1.0, "acc,none"));
        assertThat(k.text()).isEqualTo("mc_task/acc,none");
        assertThat(MetricKey.parse("mc_task/acc,none")).isEqualTo(k);
        assertThat(MetricKey.parse("gsm/exact_match,strict-match").metric()).isEqualTo("exact_match,strict-match");
        assertThatThrownBy(() -> MetricKey.parse("acc")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the metric key 'acc' is not of the form task/metric");
    }

    @Test
    void aTaskNameWithASlashStillFindsItsMetricAfterARoundTripThroughText() {
        MetricKey k = new MetricKey("group/sub", "acc,none");
        MetricKey back = MetricKey.parse(k.text());
        assertThat(back.task()).isEqualTo("group");
        assertThat(back).isEqualTo(k).hasSameHashCodeAs(k);
        assertThat(Fitness.score(List.of(new TaskSpec("group/sub", 2.0, "acc,none")), Map.of(back, 0.25))).isEqualTo(0.5);
    }

    @Test
    void keysSortByTheirTextAndConvertToTheStoredForm() {
        Map<MetricKey, Double> m = new TreeMap<>(Map.of(new MetricKey("mc", "acc_norm,none"), 0.5, new MetricKey("mc-x", "acc,none"), 0.25,
                new MetricKey("mc", "acc,none"), 0.75));
        assertThat(m.keySet()).extracting(MetricKey::text).containsExactly("mc-x/acc,none", "mc/acc,none", "mc/acc_norm,none");
        assertThat(MetricKey.toText(m)).containsExactly(Map.entry("mc-x/acc,none", 0.25), Map.entry("mc/acc,none", 0.75),
                Map.entry("mc/acc_norm,none", 0.5));
        assertThat(MetricKey.fromText(MetricKey.toText(m))).isEqualTo(m);
    }

    @Test
    void aMissingMetricNamesTheMetricsTheTaskHas() {
        Map<MetricKey, Double> m = Map.of(new MetricKey("mc", "acc_norm,none"), 0.5, new MetricKey("other", "acc,none"), 0.1);
        assertThatThrownBy(() -> Fitness.score(List.of(new TaskSpec("mc", 1.0, "acc,none")), m))
                .hasMessage("task mc reported no metric 'acc,none' (it has: acc_norm,none)");
    }
}
