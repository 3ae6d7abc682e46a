package dev.evomerge.evolve.dataflow;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.merge.config.MergeConfig;
import dev.evomerge.merge.config.MergeConfigReader;
import dev.evomerge.merge.config.MergeConfigWriter;
import dev.evomerge.merge.config.ModelReference;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The slices and writer scales a path exports to, as YAML a person (and mergekit) reads. */
class PassthroughExportTest {

    private static final List<ModelReference> SOURCES = List.of(ModelReference.of("base"), ModelReference.of("tuned"));

    @Test
    void slicesFollowRunsOfLayersAndLaterWritersCarryTheInverseCumulativeScale() {
        LayerPath path = new LayerPath(List.of(new PathStep(0, 0, 1), new PathStep(0, 1, 1), new PathStep(0, 1, 2),
                new PathStep(1, 2, 1), new PathStep(1, 3, 1), new PathStep(0, 3, 0.25)));
        String yaml = PassthroughExport.toYaml(path, SOURCES, null);
        // layers 0-1 of base unscaled; the repeat of layer 1 enters at x2, so it and everything after write at 1/2;
        // tuned's layers 2-3 continue that run of scale (a new model starts a new slice); base's layer 3 enters at
        // x0.25, so the product 2 x 0.25 = 0.5 makes its writers 1/0.5 = 2
        assertThat(yaml).isEqualTo("""
                merge_method: passthrough
                slices:
                  - sources:
                      - model: base
                        layer_range:
                          - 0
                          - 2
                  - sources:
                      - model: base
                        layer_range:
                          - 1
                          - 2
                    parameters:
                      scale:
                        - filter: o_proj
                          value: 0.5
                        - filter: down_proj
                          value: 0.5
                  - sources:
                      - model: tuned
                        layer_range:
                          - 2
                          - 4
                    parameters:
                      scale:
                        - filter: o_proj
                          value: 0.5
                        - filter: down_proj
                          value: 0.5
                  - sources:
                      - model: base
                        layer_range:
                          - 3
                          - 4
                    parameters:
                      scale:
                        - filter: o_proj
                          value: 2.0
                        - filter: down_proj
                          value: 2.0
                """);
        MergeConfig back = MergeConfigReader.parse(yaml, "exported.yaml", w -> { });
        assertThat(MergeConfigWriter.toYaml(back)).isEqualTo(yaml);
    }

    @Test
    void pathsThatStartOrEndInAnotherModelKeepModel0sEmbeddingsAndHead() {
        LayerPath path = new LayerPath(List.of(new PathStep(1, 0, 1), new PathStep(0, 1, 1), new PathStep(1, 3, 1)));
        MergeConfig c = PassthroughExport.toConfig(path, SOURCES, null);
        assertThat(c.slices()).hasSize(5);
        assertThat(c.slices().getFirst().sources().getFirst().model()).isEqualTo(SOURCES.getFirst());
        assertThat(c.slices().getFirst().sources().getFirst().layerRange().length()).isZero();
        assertThat(c.slices().getLast().sources().getFirst().model()).isEqualTo(SOURCES.getFirst());
        assertThat(c.slices().getLast().sources().getFirst().layerRange().length()).isZero();
        assertThat(c.slices().stream().allMatch(s -> s.parameters().isEmpty())).isTrue();
    }

    @Test
    void scalesWithoutAPassthroughEquivalentAreRefused() {
        for (double bad : new double[]{0, -0.5, Double.NaN, Double.POSITIVE_INFINITY}) {
            LayerPath path = new LayerPath(List.of(new PathStep(0, 0, 1), new PathStep(0, 1, bad)));
            assertThatThrownBy(() -> PassthroughExport.toConfig(path, SOURCES, null))
                    .isInstanceOf(EvomergeException.class)
                    .hasMessageContaining("Step 1 of the data-flow path scales its input by");
        }
        LayerPath unknown = new LayerPath(List.of(new PathStep(0, 0, 1), new PathStep(2, 1, 1)));
        assertThatThrownBy(() -> PassthroughExport.toConfig(unknown, SOURCES, null))
                .isInstanceOf(EvomergeException.class).hasMessageContaining("source model 2, but 2 source models");
    }
}
