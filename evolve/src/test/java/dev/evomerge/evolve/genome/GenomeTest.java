package dev.evomerge.evolve.genome;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.tensor.DType;
import dev.evomerge.merge.config.InputSlice;
import dev.evomerge.merge.config.LayerRange;
import dev.evomerge.merge.config.MergeConfig;
import dev.evomerge.merge.config.MergeConfigWriter;
import dev.evomerge.merge.config.ModelReference;
import dev.evomerge.merge.config.OutputSlice;
import dev.evomerge.merge.config.ParameterSetting;
import dev.evomerge.merge.config.ParameterSetting.Condition;
import dev.evomerge.merge.config.ParameterSetting.Conditional;
import dev.evomerge.merge.config.ParameterSetting.Gradient;
import dev.evomerge.merge.config.ParameterSetting.Scalar;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class GenomeTest {

    static GenomeDefinition def(String method, int granularity, boolean smooth, List<String> filters, boolean negative) {
        return new GenomeDefinition(List.of("m1", "m2"), method, "base", null, granularity, null, negative, smooth, filters);
    }

    static InputSlice source(MergeConfig cfg, int slice, int source) {
        return cfg.slices().get(slice).sources().get(source);
    }

    static ParameterSetting param(InputSlice s, String name) {
        return s.parameters().get(name);
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
        MergeConfig cfg = g.decode(new double[] {0.1, 0.2, 0.3, 0.4});
        List<OutputSlice> slices = cfg.slices();
        assertThat(slices).hasSize(2);
        assertThat(cfg.models()).isNull();
        assertThat(source(cfg, 0, 0).model()).isEqualTo(ModelReference.of("m1"));
        assertThat(source(cfg, 0, 0).layerRange()).isEqualTo(new LayerRange(0, 2));
        assertThat(param(source(cfg, 0, 1), "weight")).isEqualTo(Scalar.of(0.2));
        assertThat(param(source(cfg, 1, 0), "weight")).isEqualTo(Scalar.of(0.3));
        assertThat(source(cfg, 1, 2).model()).isEqualTo(ModelReference.of("base"));
        assertThat(source(cfg, 1, 2).layerRange()).isEqualTo(new LayerRange(2, 4));
        assertThat(source(cfg, 1, 2).parameters().isEmpty()).isTrue();
        // normalize unset: false for task_arithmetic; int8_mask always on; bf16.
        assertThat(cfg.parameters().get("normalize")).isEqualTo(Scalar.of(false));
        assertThat(cfg.parameters().get("int8_mask")).isEqualTo(Scalar.of(true));
        assertThat(cfg.dtype()).isEqualTo(DType.BF16);
        assertThat(cfg.baseModel()).isEqualTo(ModelReference.of("base"));
    }

    @Test
    void filtersBecomeConditionalListsEndingInACatchAll() {
        Genome g = new Genome(def("ties", 0, false, List.of("self_attn"), false), 4);
        double[] genes = new double[g.layout().size()]; // (1, 2, 2, 2)
        genes[g.layout().index(0, 0, 0, 0)] = 0.7;  // m1, attn, weight
        genes[g.layout().index(0, 0, 0, 1)] = 0.5;  // m1, attn, density
        genes[g.layout().index(0, 0, 1, 0)] = 0.25; // m1, catch-all, weight
        MergeConfig cfg = g.decode(genes);
        assertThat(param(source(cfg, 0, 0), "weight")).isEqualTo(new Conditional(List.of(
                new Condition("self_attn", Scalar.of(0.7)), new Condition(null, Scalar.of(0.25)))));
        Conditional density = (Conditional) param(source(cfg, 0, 0), "density");
        assertThat(density.conditions().get(0).value()).isEqualTo(Scalar.of(0.5));
        assertThat(cfg.parameters().get("normalize")).isEqualTo(Scalar.of(true));
        assertThat(source(cfg, 0, 0).layerRange()).isEqualTo(new LayerRange(0, 4));
    }

    @Test
    void smoothDecodingWritesGradientsOverLayerGroups() {
        Genome g = new Genome(def("linear", 1, true, List.of(), false), 3);
        MergeConfig cfg = g.decode(new double[] {0.1, 0.9, 0.2, 0.8, 0.3, 0.7});
        assertThat(cfg.slices()).isNull();
        assertThat(cfg.models().get(0).parameters().get("weight")).isEqualTo(new Gradient(List.of(0.1, 0.2, 0.3)));
        assertThat(cfg.models().get(1).parameters().get("weight")).isEqualTo(new Gradient(List.of(0.9, 0.8, 0.7)));
        assertThat(cfg.models().get(2).model()).isEqualTo(ModelReference.of("base"));
        assertThat(cfg.models().get(2).parameters().isEmpty()).isTrue();
    }

    @Test
    void slerpTakesTheTopTwoModelsAndASoftmaxT() {
        GenomeDefinition d = new GenomeDefinition(List.of("a", "b", "c"), "slerp", null, null, 0, null, false, false, List.of());
        Genome g = new Genome(d, 2);
        MergeConfig cfg = g.decode(new double[] {0.2, 0.9, 0.6});
        assertThat(cfg.slices().get(0).baseModel()).isEqualTo(ModelReference.of("b"));
        assertThat(source(cfg, 0, 0).model()).isEqualTo(ModelReference.of("b"));
        assertThat(source(cfg, 0, 1).model()).isEqualTo(ModelReference.of("c"));
        double t = cfg.slices().get(0).parameters().get("t").evaluate(null, 0).asDouble();
        assertThat(t).isCloseTo(1 / (1 + Math.exp(0.3)), within(1e-15));
        assertThat(cfg.parameters().isEmpty()).isTrue();
        assertThat(cfg.baseModel()).isNull();
    }

    @Test
    void allowNegativeWeightsMapsWeightGenesToMinusOneToOne() {
        Genome g = new Genome(def("task_arithmetic", 0, false, List.of(), true), 2);
        MergeConfig cfg = g.decode(new double[] {0.0, 0.75});
        assertThat(param(source(cfg, 0, 0), "weight")).isEqualTo(Scalar.of(-1.0));
        assertThat(param(source(cfg, 0, 1), "weight")).isEqualTo(Scalar.of(0.5));
        // The initial genes decode to weight 1/M.
        MergeConfig init = g.decode(g.initialGenes());
        assertThat(param(source(init, 0, 0), "weight")).isEqualTo(Scalar.of(0.5));
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
        String yaml = MergeConfigWriter.toYaml(g.decode(new double[] {0.5, 0.25, 1.0, 0.75}));
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
