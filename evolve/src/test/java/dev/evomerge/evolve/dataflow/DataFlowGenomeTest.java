package dev.evomerge.evolve.dataflow;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.evolve.demo.HiddenPath;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class DataFlowGenomeTest {

    static DataFlowGenome genome(Scaling scaling, Integer maxLayers) {
        return new DataFlowGenome(new DataFlowDefinition(2, scaling, 0.5, 2.0, maxLayers), List.of("a", "b"), List.of(4, 3));
    }

    @Test
    void theLayoutIsEveryModelsLayersRepeatedThenTheScalingGenes() {
        DataFlowGenome g = genome(Scaling.MODEL_PAIR, null);
        assertThat(g.inclusionGenes()).isEqualTo(2 * (4 + 3));
        assertThat(g.scalingGenes()).isEqualTo(4);
        assertThat(g.size()).isEqualTo(18);
        assertThat(g.positions().get(0).label()).isEqualTo("r0 m0 L0");
        assertThat(g.positions().get(4).label()).isEqualTo("r0 m1 L0");
        assertThat(g.positions().get(7).label()).isEqualTo("r1 m0 L0");
        assertThat(g.maxLayers()).isEqualTo(6); // floor(1.5 x 4)
        assertThat(genome(Scaling.LAYER_PAIR, null).scalingGenes()).isEqualTo(49);
        assertThat(genome(Scaling.NONE, 9).scalingGenes()).isZero();
        assertThat(genome(Scaling.NONE, 9).maxLayers()).isEqualTo(9);
    }

    @Test
    void thePathHasTheForcedEndsAndThePositionsAboveOneHalfInLayoutOrder() {
        DataFlowGenome g = genome(Scaling.NONE, null);
        double[] x = new double[g.size()];
        x[2] = 0.51;  // r0 m0 L2
        x[5] = 0.9;   // r0 m1 L1
        x[8] = 0.5;   // r1 m0 L1: exactly one half is not included
        x[12] = 1.0;  // r1 m1 L1
        LayerPath p = g.decode(x);
        assertThat(p.steps()).containsExactly(new PathStep(0, 0, 1), new PathStep(0, 2, 1), new PathStep(1, 1, 1),
                new PathStep(1, 1, 1), new PathStep(0, 3, 1));
        // no gene included: model 0's first and last layer only
        assertThat(g.decode(new double[g.size()]).steps()).containsExactly(new PathStep(0, 0, 1), new PathStep(0, 3, 1));
    }

    @Test
    void modelPairGenesScaleALayersInputByTheModelOfTheLayerBeforeIt() {
        DataFlowGenome g = genome(Scaling.MODEL_PAIR, null);
        double[] x = new double[g.size()];
        int scales = g.inclusionGenes();
        x[scales] = 0.5;       // a -> a: 1.0
        x[scales + 1] = 1.0;   // a -> b: 2.0
        x[scales + 2] = 0.0;   // b -> a: 0.5
        x[scales + 3] = 0.75;  // b -> b: 2^0.5
        x[1] = 1;  // r0 m0 L1
        x[5] = 1;  // r0 m1 L1
        x[6] = 1;  // r0 m1 L2
        LayerPath p = g.decode(x);
        assertThat(p.steps()).extracting(PathStep::scale).containsExactly(1.0, 1.0, 2.0, Math.sqrt(2), 0.5);
        assertThat(p.steps().get(3).scale()).isCloseTo(Math.sqrt(2), within(1e-12));
    }

    @Test
    void layerPairGenesAreIndexedByTheDistinctLayerBeforeAndTheLayer() {
        DataFlowGenome g = genome(Scaling.LAYER_PAIR, null);
        double[] x = g.encode(new LayerPath(List.of(new PathStep(0, 0, 1), new PathStep(1, 2, 1.25), new PathStep(0, 3, 0.8))));
        // layer ids: model 0's 0..3, model 1's 4..6
        assertThat(g.scale(x[g.inclusionGenes() + 0 * 7 + 6])).isCloseTo(1.25, within(1e-12));
        assertThat(g.scale(x[g.inclusionGenes() + 6 * 7 + 3])).isCloseTo(0.8, within(1e-12));
        assertThat(g.decode(x).steps()).extracting(PathStep::model).containsExactly(0, 1, 0);
    }

    @Test
    void theScaleRangeIsLogUniformWithOneHalfAtScaleOneForASymmetricRange() {
        DataFlowGenome g = genome(Scaling.MODEL_PAIR, null);
        assertThat(g.scale(0)).isEqualTo(0.5);
        assertThat(g.scale(1)).isEqualTo(2.0);
        assertThat(g.scale(0.5)).isCloseTo(1.0, within(1e-12));
        assertThat(g.scale(-3)).isEqualTo(0.5); // CMA-ES genes outside [0, 1] are clamped
        assertThat(g.geneOf(1.5)).isCloseTo(Math.log(3) / Math.log(4), within(1e-12));
    }

    @Test
    void theHiddenPathOfTheDemoRoundTripsThroughItsGenes() {
        DataFlowGenome g = new DataFlowGenome(DataFlowDefinition.defaults(), List.of("a", "b"), List.of(4, 4));
        double[] x = g.encode(HiddenPath.TARGET);
        LayerPath back = g.decode(x);
        assertThat(back.steps()).extracting(PathStep::model, PathStep::layer).containsExactlyElementsOf(
                HiddenPath.TARGET.steps().stream().map(s -> org.assertj.core.groups.Tuple.tuple(s.model(), s.layer())).toList());
        assertThat(back.steps().getLast().scale()).isCloseTo(HiddenPath.TARGET_SCALE, within(1e-12));
        assertThat(g.tooLong(back)).isFalse();
    }

    @Test
    void theHiddenPathExportsAsTheFourSlicesOfTheWorkedExample() {
        // docs/evolution.md, "Worked example: the demo's hidden path"
        var cfg = PathExport.PASSTHROUGH.export(HiddenPath.TARGET, List.of(
                dev.evomerge.merge.config.ModelReference.of("/m/model-a"), dev.evomerge.merge.config.ModelReference.of("/m/model-b")));
        assertThat(cfg.slices()).extracting(s -> s.sources().getFirst().model().path() + " "
                + s.sources().getFirst().layerRange().start() + "-" + s.sources().getFirst().layerRange().end())
                .containsExactly("/m/model-a 0-2", "/m/model-a 1-2", "/m/model-b 2-3", "/m/model-a 3-4");
        String yaml = dev.evomerge.merge.config.MergeConfigWriter.toYaml(cfg);
        assertThat(yaml).contains("merge_method: passthrough").contains("filter: o_proj").contains("filter: down_proj")
                .contains("value: 0.6666666666666666");
        DataFlowGenome g = new DataFlowGenome(DataFlowDefinition.defaults(), List.of("a", "b"), List.of(4, 4));
        double[] x = g.encode(HiddenPath.TARGET);
        for (int i = 0; i < 16; i++) {
            assertThat(x[i] > 0.5).as("gene " + i).isEqualTo(i == 1 || i == 9 || i == 14);
        }
        assertThat(x[18]).isCloseTo(Math.log(3) / Math.log(4), within(1e-12));
        assertThat(new double[] {x[16], x[17], x[19]}).containsOnly(0.5);
    }

    @Test
    void theInitialGenesDecodeToModelZerosOwnPathUnscaled() {
        DataFlowGenome g = genome(Scaling.MODEL_PAIR, null);
        LayerPath p = g.decode(g.initialGenes());
        assertThat(p.steps()).containsExactly(new PathStep(0, 0, 1), new PathStep(0, 1, 1), new PathStep(0, 2, 1),
                new PathStep(0, 3, 1));
    }

    @Test
    void aPathLongerThanMaxLayersIsPenalisedByTheLayersOverTheLimit() {
        DataFlowGenome g = genome(Scaling.NONE, 5);
        double[] x = new double[g.size()];
        for (int i = 0; i < 5; i++) {
            x[i] = 1; // 5 included + 2 forced = 7 layers
        }
        LayerPath p = g.decode(x);
        assertThat(p.length()).isEqualTo(7);
        assertThat(g.tooLong(p)).isTrue();
        assertThat(g.penalty(p)).isEqualTo(-2.0);
        x[4] = 0;
        x[3] = 0;
        assertThat(g.tooLong(g.decode(x))).isFalse();
    }

    @Test
    void badDefinitionsAreRefusedWithTheKeyNamed() {
        assertThatThrownBy(() -> new DataFlowDefinition(0, Scaling.NONE, 0.5, 2, null)).isInstanceOf(EvomergeException.class)
                .hasMessageContaining("data_flow.repeats must be at least 1");
        assertThatThrownBy(() -> new DataFlowDefinition(2, Scaling.NONE, 2, 0.5, null))
                .hasMessageContaining("data_flow.scale_range");
        assertThatThrownBy(() -> new DataFlowDefinition(2, Scaling.NONE, 0.5, 2, 1)).hasMessageContaining("data_flow.max_layers");
        assertThatThrownBy(() -> genome(Scaling.NONE, null).decode(new double[3])).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theDescriptionTellsTheLlmWhichGenesAreInclusionsAndWhichAreScales() {
        String d = genome(Scaling.MODEL_PAIR, null).describe();
        assertThat(d).contains("Genes 0 to 13 are inclusion probabilities").contains("starts with layer 0 of model 0")
                .contains("ends with its last layer (3)").contains("Genes 14 to 17 are scales")
                .contains("gene 14 + a * 2 + b").contains("more than 6 layers").contains("(the value 50 means no scaling)");
    }
}
