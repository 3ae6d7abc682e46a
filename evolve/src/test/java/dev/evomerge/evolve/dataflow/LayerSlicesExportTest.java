package dev.evomerge.evolve.dataflow;

import dev.evomerge.merge.config.MergeConfig;
import dev.evomerge.merge.config.MergeConfigReader;
import dev.evomerge.merge.config.MergeConfigWriter;
import dev.evomerge.merge.config.ModelReference;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class LayerSlicesExportTest {

    static final List<ModelReference> MODELS = List.of(ModelReference.of("/m/a"), ModelReference.of("/m/b"));

    @Test
    void consecutiveUnscaledLayersOfOneModelShareASlice() {
        LayerPath p = new LayerPath(List.of(new PathStep(0, 0, 1), new PathStep(0, 1, 1), new PathStep(0, 1, 1),
                new PathStep(1, 2, 1), new PathStep(0, 3, 1)));
        MergeConfig c = new LayerSlicesExport().export(p, MODELS);
        assertThat(c.mergeMethod()).isEqualTo("passthrough");
        assertThat(c.slices()).extracting(s -> s.sources().getFirst().model().path() + " " + s.sources().getFirst().layerRange().start()
                + "-" + s.sources().getFirst().layerRange().end()).containsExactly("/m/a 0-2", "/m/a 1-2", "/m/b 2-3", "/m/a 3-4");
    }

    @Test
    void aScaledStepDividesTheOutputProjectionsOfItsAndEveryLaterSliceByTheCumulativeScale() {
        LayerPath p = new LayerPath(List.of(new PathStep(0, 0, 1), new PathStep(1, 1, 2.0), new PathStep(0, 2, 1),
                new PathStep(0, 3, 1.25)));
        String yaml = MergeConfigWriter.toYaml(new LayerSlicesExport().export(p, MODELS));
        MergeConfig back = MergeConfigReader.parse(yaml, "export", w -> { });
        assertThat(back.slices()).hasSize(4);
        assertThat(back.slices().get(0).sources().getFirst().parameters().settings()).isEmpty();
        assertThat(yaml).contains("o_proj").contains("down_proj").contains("0.5").contains("0.4");
        // slice 3 (layer 2 of a, after b's layer scaled by 2) keeps the factor 1/2; slice 4 has 1/(2 * 1.25) = 0.4
        assertThat(back.slices().get(2).sources().getFirst().parameters().settings().get("scale").toString()).contains("0.5");
        assertThat(back.slices().get(3).sources().getFirst().parameters().settings().get("scale").toString()).contains("0.4");
    }
}
