package dev.evomerge.evolve.genome;

import dev.evomerge.core.EvomergeException;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class GenomeTest {

    static GenomeDefinition def(String method, int granularity, boolean smooth, List<String> filters, boolean negative) {
        return new GenomeDefinition(List.of("m1", "m2"), method, "base", null, granularity, null, negative, smooth, filters);
    }

    @SuppressWarnings("unchecked")
    static <T> T at(Object tree, Object... path) {
        Object o = tree;
        for (Object p : path) {
            o = p instanceof Integer i ? ((List<Object>) o).get(i) : ((Map<String, Object>) o).get((String) p);
        }
        return (T) o;
    }

    @Test
    void layoutIsRowMajorOverGroupsModelsSetsParams() {
        Genome g = new Genome(def("ties", 2, false, List.of("attn"), false), 8);
        GeneLayout l = g.layout();
        assertThat(l.dimensions()).containsExactly(4, 2, 2, 2);
        assertThat(l.size()).isEqualTo(32);
        assertThat(l.index(0, 0, 0, 1)).isEqualTo(1);
        assertThat(l.index(0, 0, 1, 0)).isEqualTo(2);
        assertThat(l.index(0, 1, 0, 0)).isEqualTo(4);
        assertThat(l.index(1, 0, 0, 0)).isEqualTo(8);
        assertThat(l.index(3, 1, 1, 1)).isEqualTo(31);
        assertThat(l.dimensionsText()).isEqualTo("(4, 2, 2, 2)");
    }

    @Test
    void discreteDecodingMakesOneSlicePerGroupWithTheBaseAppended() {
        Genome g = new Genome(def("task_arithmetic", 2, false, List.of(), false), 4);
        Map<String, Object> cfg = g.decode(new double[] {0.1, 0.2, 0.3, 0.4});
        List<Object> slices = at(cfg, "slices");
        assertThat(slices).hasSize(2);
        assertThat((Object) at(cfg, "slices", 0, "sources", 0, "model")).isEqualTo("m1");
        assertThat((Object) at(cfg, "slices", 0, "sources", 0, "layer_range")).isEqualTo(List.of(0, 2));
        assertThat((Object) at(cfg, "slices", 0, "sources", 1, "parameters", "weight")).isEqualTo(0.2);
        assertThat((Object) at(cfg, "slices", 1, "sources", 0, "parameters", "weight")).isEqualTo(0.3);
        assertThat((Object) at(cfg, "slices", 1, "sources", 2, "model")).isEqualTo("base");
        assertThat((Object) at(cfg, "slices", 1, "sources", 2, "layer_range")).isEqualTo(List.of(2, 4));
        assertThat((Map<String, Object>) at(cfg, "slices", 1, "sources", 2)).doesNotContainKey("parameters");
        // Unset normalize is true only for ties, dare_ties and linear, so false here; int8_mask always on; bf16.
        assertThat((Object) at(cfg, "parameters", "normalize")).isEqualTo(false);
        assertThat((Object) at(cfg, "parameters", "int8_mask")).isEqualTo(true);
        assertThat((Object) at(cfg, "dtype")).isEqualTo("bfloat16");
        assertThat((Object) at(cfg, "base_model")).isEqualTo("base");
    }

    @Test
    void filtersBecomeConditionalListsEndingInACatchAll() {
        Genome g = new Genome(def("ties", 0, false, List.of("self_attn"), false), 4);
        double[] genes = new double[g.layout().size()]; // (1, 2, 2, 2)
        genes[g.layout().index(0, 0, 0, 0)] = 0.7;  // m1, attn, weight
        genes[g.layout().index(0, 0, 0, 1)] = 0.5;  // m1, attn, density
        genes[g.layout().index(0, 0, 1, 0)] = 0.25; // m1, catch-all, weight
        Map<String, Object> cfg = g.decode(genes);
        List<Map<String, Object>> weight = at(cfg, "slices", 0, "sources", 0, "parameters", "weight");
        assertThat(weight).hasSize(2);
        assertThat(weight.get(0)).containsEntry("filter", "self_attn").containsEntry("value", 0.7);
        assertThat(weight.get(1)).containsEntry("filter", null).containsEntry("value", 0.25);
        List<Map<String, Object>> density = at(cfg, "slices", 0, "sources", 0, "parameters", "density");
        assertThat(density.get(0)).containsEntry("value", 0.5);
        assertThat((Object) at(cfg, "parameters", "normalize")).isEqualTo(true);
        assertThat((Object) at(cfg, "slices", 0, "sources", 0, "layer_range")).isEqualTo(List.of(0, 4));
    }

    @Test
    void smoothDecodingWritesGradientsOverLayerGroups() {
        Genome g = new Genome(def("linear", 1, true, List.of(), false), 3);
        Map<String, Object> cfg = g.decode(new double[] {0.1, 0.9, 0.2, 0.8, 0.3, 0.7});
        assertThat(cfg).doesNotContainKey("slices");
        assertThat((Object) at(cfg, "models", 0, "parameters", "weight")).isEqualTo(List.of(0.1, 0.2, 0.3));
        assertThat((Object) at(cfg, "models", 1, "parameters", "weight")).isEqualTo(List.of(0.9, 0.8, 0.7));
        assertThat((Object) at(cfg, "models", 2, "model")).isEqualTo("base");
    }

    @Test
    void slerpTakesTheTopTwoModelsAndASoftmaxT() {
        GenomeDefinition d = new GenomeDefinition(List.of("a", "b", "c"), "slerp", null, null, 0, null, false, false, List.of());
        Genome g = new Genome(d, 2);
        Map<String, Object> cfg = g.decode(new double[] {0.2, 0.9, 0.6});
        assertThat((Object) at(cfg, "slices", 0, "base_model")).isEqualTo("b");
        assertThat((Object) at(cfg, "slices", 0, "sources", 0, "model")).isEqualTo("b");
        assertThat((Object) at(cfg, "slices", 0, "sources", 1, "model")).isEqualTo("c");
        double t = at(cfg, "slices", 0, "parameters", "t");
        assertThat(t).isCloseTo(1 / (1 + Math.exp(0.3)), within(1e-15));
        assertThat(cfg).doesNotContainKey("parameters");
    }

    @Test
    void allowNegativeWeightsMapsWeightGenesToMinusOneToOne() {
        Genome g = new Genome(def("task_arithmetic", 0, false, List.of(), true), 2);
        Map<String, Object> cfg = g.decode(new double[] {0.0, 0.75});
        assertThat((Object) at(cfg, "slices", 0, "sources", 0, "parameters", "weight")).isEqualTo(-1.0);
        assertThat((Object) at(cfg, "slices", 0, "sources", 1, "parameters", "weight")).isEqualTo(0.5);
        // The initial genes decode to weight 1/M.
        Map<String, Object> init = g.decode(g.initialGenes());
        assertThat((Object) at(init, "slices", 0, "sources", 0, "parameters", "weight")).isEqualTo(0.5);
    }

    @Test
    void initialGenesAreWeightOneOverMAndDensityOne() {
        Genome g = new Genome(def("dare_ties", 0, false, List.of(), false), 4);
        assertThat(g.initialGenes()).containsExactly(0.5, 1.0, 0.5, 1.0);
    }

    @Test
    void validationNamesTheProblem() {
        assertThatThrownBy(() -> new Genome(def("ties", 3, false, List.of(), false), 8))
                .isInstanceOf(EvomergeException.class).hasMessageContaining("layer_granularity 3 must divide the layer count 8");
        assertThatThrownBy(() -> new Genome(new GenomeDefinition(List.of("a"), "ties", null, null, 0, null, false, false, List.of()), 8))
                .hasMessageContaining("base_model is required for merge_method ties");
        assertThatThrownBy(() -> new Genome(def("slerp", 0, true, List.of(), false), 8))
                .hasMessageContaining("smooth cannot be used with merge_method slerp");
        assertThatThrownBy(() -> new Genome(def("slerp", 0, false, List.of("mlp"), false), 8))
                .hasMessageContaining("filters cannot be used");
        assertThatThrownBy(() -> new Genome(def("frankenmerge", 0, false, List.of(), false), 8))
                .hasMessageContaining("not supported for evolution").hasMessageContaining("dare_ties");
    }

    @Test
    void parsesTheSeedsFileAndWarnsOnUnknownKeys() {
        String yaml = """
                genome:
                  models: [a, b]
                  merge_method: task_arithmetic
                  base_model: base
                  layer_granularity: 2
                  normalize: 1.0
                  allow_negative_weights: true
                  colour: blue
                tasks:
                  - kobest_boolq
                  - name: my_task
                    weight: 0.5
                    metric: "acc_norm,none"
                limit: 100
                """;
        List<String> warnings = new ArrayList<>();
        EvolveConfig c = EvolveConfig.parse(yaml, "g.yml", warnings::add);
        assertThat(c.genome().normalize()).isTrue();
        assertThat(c.genome().allowNegativeWeights()).isTrue();
        assertThat(c.genome().layerGranularity()).isEqualTo(2);
        assertThat(c.tasks()).containsExactly(new TaskSpec("kobest_boolq", 1.0, "acc,none"), new TaskSpec("my_task", 0.5, "acc_norm,none"));
        assertThat(c.limit()).isEqualTo(100);
        assertThat(warnings).containsExactly("g.yml: unknown key 'genome.colour' is ignored.");
    }

    @Test
    void badFilesGetOneSentence() {
        assertThatThrownBy(() -> EvolveConfig.parse("genome: [unclosed", "g.yml", w -> { }))
                .isInstanceOf(EvomergeException.class).hasMessageStartingWith("g.yml line");
        assertThatThrownBy(() -> EvolveConfig.parse("genome: {models: [a], merge_method: linear}\n", "g.yml", w -> { }))
                .hasMessageContaining("'tasks' must be a non-empty list");
        assertThatThrownBy(() -> EvolveConfig.parse("genome: {models: [a]}\ntasks: [t]\n", "g.yml", w -> { }))
                .hasMessage("g.yml: missing 'genome.merge_method'.");
    }

    @Test
    void benchmarkTaskNamesAreFlaggedUnlessTrainSplits() {
        String yaml = "genome: {models: [a], merge_method: linear}\ntasks: [arc_challenge, gsm8k_train, kobest_wic, mmlu_x]\n";
        EvolveConfig c = EvolveConfig.parse(yaml, "g.yml", w -> { });
        assertThat(c.benchmarkTaskNames()).containsExactly("arc_challenge", "mmlu_x");
    }

    @Test
    void decodedConfigIsPlainYaml() {
        Genome g = new Genome(def("ties", 0, false, List.of(), false), 2);
        String yaml = MergeYaml.write(g.decode(new double[] {0.5, 0.25, 1.0, 0.75}));
        assertThat(yaml).startsWith("merge_method: ties\n").contains("weight: 0.5").contains("density: 0.25")
                .contains("base_model: base").contains("dtype: bfloat16");
    }

    @org.junit.jupiter.api.Test
    void aGenomeFileThatIsNotUtf8IsOneSentenceNamingTheFile(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws java.io.IOException {
        java.nio.file.Path f = java.nio.file.Files.write(dir.resolve("g.yml"),
                "genome:\n  name: caf\u00e9\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        assertThatThrownBy(() -> EvolveConfig.load(f, w -> { })).isInstanceOf(EvomergeException.class)
                .hasMessage("Evolution config " + f + " is not UTF-8 text (byte 19 on line 2 is 0xE9); save it as"
                        + " UTF-8.");
    }
}
