package dev.evomerge.evolve.dataflow;

import dev.evomerge.core.EvomergeException;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DataFlowDefinitionTest {

    @Test
    void aFileWithoutTheSectionHasNoDataFlowDefinition() {
        assertThat(DataFlowDefinition.parse("genome: {models: [a]}\n", "g.yml", w -> { })).isEmpty();
    }

    @Test
    void anEmptySectionTakesTheDefaults() {
        DataFlowDefinition d = DataFlowDefinition.parse("data_flow:\n", "g.yml", w -> { }).orElseThrow();
        assertThat(d).isEqualTo(new DataFlowDefinition(2, Scaling.MODEL_PAIR, 0.5, 2.0, null));
    }

    @Test
    void everyKeyIsRead() {
        List<String> warnings = new ArrayList<>();
        DataFlowDefinition d = DataFlowDefinition.parse("""
                data_flow:
                  repeats: 3
                  scaling: layer-pair
                  scale_range: [0.25, 4]
                  max_layers: 40
                  colour: blue
                """, "g.yml", warnings::add).orElseThrow();
        assertThat(d).isEqualTo(new DataFlowDefinition(3, Scaling.LAYER_PAIR, 0.25, 4.0, 40));
        assertThat(warnings).singleElement().asString().contains("data_flow.colour");
    }

    @Test
    void aBadValueIsOneSentenceNamingTheFileAndKey() {
        assertThatThrownBy(() -> DataFlowDefinition.parse("data_flow: {scaling: per-head}\n", "g.yml", w -> { }))
                .isInstanceOf(EvomergeException.class)
                .hasMessage("g.yml: 'data_flow.scaling' must be model-pair, layer-pair or none, got 'per-head'.");
        assertThatThrownBy(() -> DataFlowDefinition.parse("data_flow: {repeats: 1.5}\n", "g.yml", w -> { }))
                .hasMessage("g.yml: 'data_flow.repeats' must be an integer.");
        assertThatThrownBy(() -> DataFlowDefinition.parse("data_flow: {scale_range: [2]}\n", "g.yml", w -> { }))
                .hasMessageContaining("g.yml: 'data_flow.scale_range' must be a list of two numbers");
        assertThatThrownBy(() -> DataFlowDefinition.parse("data_flow: {repeats: 0}\n", "g.yml", w -> { }))
                .hasMessage("g.yml: data_flow.repeats must be at least 1, got 0.");
        assertThatThrownBy(() -> SearchSpace.parse("both")).hasMessage("--space must be ps, dfs or ps+dfs, got 'both'.");
        assertThat(SearchSpace.parse("ps+dfs")).isEqualTo(SearchSpace.PS_DFS);
    }
}
