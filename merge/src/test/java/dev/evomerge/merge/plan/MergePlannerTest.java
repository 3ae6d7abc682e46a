package dev.evomerge.merge.plan;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.synth.SynthArch;
import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.Shape;
import dev.evomerge.merge.MergeOptions;
import dev.evomerge.merge.MergeSession;
import dev.evomerge.merge.config.MergeConfigReader;
import dev.evomerge.merge.testing.TestModels;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The planner's walk: half-open slices, renumbering, t, pre/post weights, tied lm_head, base handling (the rules:
 * docs/merging.md, "What a config may contain" and "What is written").
 */
class MergePlannerTest {

    @TempDir
    static Path dir;
    static Path a;
    static Path b;
    static Path tied;
    static Path base;

    @BeforeAll
    static void models() {
        base = TestModels.base(dir, "base", 4, DType.F32, 1);
        a = TestModels.fineTune(base, dir, "a", 2);
        b = TestModels.fineTune(base, dir, "b", 3);
        tied = TestModels.model(dir, "tied", TestModels.spec(SynthArch.LLAMA, 4, DType.F32, 4, true));
    }

    private final List<String> warnings = new ArrayList<>();

    private MergePlan plan(String yaml) {
        Consumer<String> w = warnings::add;
        try (MergeSession s = MergeSession.open(MergeConfigReader.parse(yaml, "cfg.yml", w),
                MergeOptions.defaults().withThreads(1), w::accept)) {
            return s.plan();
        }
    }

    private static TensorJob job(MergePlan p, String name) {
        return p.jobs().stream().filter(j -> j.name().equals(name)).findFirst().orElseThrow(
                () -> new AssertionError("no job " + name));
    }

    @Test
    void slicesAreRenumberedConsecutivelyAndReadTheirOwnLayers() {
        MergePlan p = plan("""
                merge_method: passthrough
                slices:
                  - sources: [{model: %s, layer_range: [0, 2]}]
                  - sources: [{model: %s, layer_range: [1, 4]}]
                """.formatted(a, b));
        TensorJob out2 = job(p, "model.layers.2.mlp.down_proj.weight");
        assertThat(out2.inputs()).singleElement().satisfies(in -> {
            assertThat(in.model().path()).isEqualTo(b.toString());
            assertThat(in.storedName()).isEqualTo("model.layers.1.mlp.down_proj.weight");
            assertThat(in.weightName()).isEqualTo("model.layers.1.mlp.down_proj.weight");
        });
        assertThat(job(p, "model.layers.4.input_layernorm.weight").inputs().getFirst().storedName())
                .isEqualTo("model.layers.3.input_layernorm.weight");
        assertThat(p.jobs()).noneMatch(j -> j.name().startsWith("model.layers.5."));
        // t restarts in every slice: 2-layer slice -> 0, 1; 3-layer slice -> 0, 0.5, 1
        assertThat(job(p, "model.layers.0.mlp.up_proj.weight").t()).isEqualTo(0.0);
        assertThat(job(p, "model.layers.1.mlp.up_proj.weight").t()).isEqualTo(1.0);
        assertThat(job(p, "model.layers.2.mlp.up_proj.weight").t()).isEqualTo(0.0);
        assertThat(job(p, "model.layers.3.mlp.up_proj.weight").t()).isEqualTo(0.5);
        assertThat(job(p, "model.layers.4.mlp.up_proj.weight").t()).isEqualTo(1.0);
        // pre-weights from the first slice, post-weights from the last, both at t = 0 (as mergekit does)
        TensorJob embed = job(p, "model.embed_tokens.weight");
        assertThat(embed.inputs().getFirst().model().path()).isEqualTo(a.toString());
        assertThat(embed.part()).isEqualTo(TensorJob.Part.PRE);
        assertThat(embed.t()).isEqualTo(0.0);
        TensorJob norm = job(p, "model.norm.weight");
        assertThat(norm.inputs().getFirst().model().path()).isEqualTo(b.toString());
        assertThat(norm.part()).isEqualTo(TensorJob.Part.POST);
        assertThat(norm.t()).isEqualTo(0.0);
        assertThat(job(p, "lm_head.weight").inputs().getFirst().model().path()).isEqualTo(b.toString());
        // order: pre, layers 0..4, post
        assertThat(p.jobs().getFirst().name()).isEqualTo("model.embed_tokens.weight");
        assertThat(p.jobs().getLast().name()).isEqualTo("lm_head.weight");
        assertThat(p.outputConfig().numLayers()).isEqualTo(5);
    }

    @Test
    void gradientsRestartInEachSliceAndPrePostWeightsUseTZero() {
        MergePlan p = plan("""
                merge_method: linear
                slices:
                  - sources:
                      - {model: %1$s, layer_range: [0, 3]}
                      - {model: %2$s, layer_range: [0, 3]}
                    parameters: {weight: [0, 1]}
                  - sources:
                      - {model: %1$s, layer_range: [3, 4]}
                      - {model: %2$s, layer_range: [3, 4]}
                    parameters: {weight: [0.2, 0.8]}
                """.formatted(a, b));
        assertThat(weights(p, "model.embed_tokens.weight")).containsExactly(0.0, 0.0);
        assertThat(weights(p, "model.layers.0.self_attn.q_proj.weight")).containsExactly(0.0, 0.0);
        assertThat(weights(p, "model.layers.1.self_attn.q_proj.weight")).containsExactly(0.5, 0.5);
        assertThat(weights(p, "model.layers.2.self_attn.q_proj.weight")).containsExactly(1.0, 1.0);
        // a one-layer slice has t = 1 (mergekit's t = idx/(L-1) special case)
        assertThat(weights(p, "model.layers.3.self_attn.q_proj.weight")).containsExactly(0.8, 0.8);
        // post-weights come from the last slice at t = 0 (mergekit before March 2025 used t = 1; today's uses 0)
        assertThat(weights(p, "model.norm.weight")).containsExactly(0.2, 0.2);
        assertThat(weights(p, "lm_head.weight")).containsExactly(0.2, 0.2);
    }

    private static List<Double> weights(MergePlan p, String tensor) {
        int i = job(p, tensor).index();
        return p.parameters().get(i).perInput().stream().map(m -> m.get("weight")).toList();
    }

    @Test
    void perModelFiltersMatchInputNamesAndGlobalFiltersOutputNames() {
        MergePlan p = plan("""
                merge_method: linear
                slices:
                  - sources:
                      - model: %1$s
                        layer_range: [1, 2]
                        parameters:
                          weight: [{filter: layers.1., value: 0.9}, {value: 0.1}]
                      - {model: %2$s, layer_range: [1, 2], parameters: {weight: 1}}
                parameters:
                  normalize: [{filter: layers.0., value: 0}, {value: 1}]
                """.formatted(a, b));
        // output layer 0 reads input layer 1: the per-model filter sees "layers.1.", the global one "layers.0."
        TensorJob j = job(p, "model.layers.0.mlp.gate_proj.weight");
        JobParameters jp = p.parameters().get(j.index());
        assertThat(jp.perInput().get(0).get("weight")).isEqualTo(0.9);
        assertThat(jp.perInput().get(1).get("weight")).isEqualTo(1.0);
        assertThat(jp.global().get("normalize")).isEqualTo(0.0);
        // the embedding matches neither filter of 'weight' on "layers.1." and falls to the catch-all
        JobParameters embed = p.parameters().get(job(p, "model.embed_tokens.weight").index());
        assertThat(embed.perInput().get(0).get("weight")).isEqualTo(0.1);
        assertThat(embed.global().get("normalize")).isEqualTo(1.0);
    }

    @Test
    void aTiedLmHeadStandsInForModelsWithoutOneAndIsSkippedWhenNoModelHasOne() {
        MergePlan mixed = plan("""
                merge_method: linear
                models:
                  - {model: %s, parameters: {weight: 0.5}}
                  - {model: %s, parameters: {weight: 0.5}}
                """.formatted(a, tied));
        TensorJob head = job(mixed, "lm_head.weight");
        assertThat(head.inputs()).extracting(JobInput::storedName)
                .containsExactly("lm_head.weight", "model.embed_tokens.weight");
        assertThat(head.inputs()).extracting(JobInput::weightName)
                .containsExactly("lm_head.weight", "lm_head.weight");

        MergePlan allTied = plan("""
                merge_method: linear
                models:
                  - {model: %1$s, parameters: {weight: 0.5}}
                  - {model: %1$s@x, parameters: {weight: 0.5}}
                """.formatted(tied));
        assertThat(allTied.jobs()).noneMatch(j -> j.name().equals("lm_head.weight"));
        assertThat(warnings).anyMatch(w -> w.contains("revision 'x'"));
    }

    @Test
    void aBaseModelNotListedIsAppendedLastForModelsConfigs() {
        MergePlan p = plan("""
                merge_method: linear
                base_model: %3$s
                models:
                  - {model: %1$s, parameters: {weight: 0.3}}
                  - {model: %2$s, parameters: {weight: 0.3}}
                parameters: {weight: 0.4}
                """.formatted(a, b, base));
        TensorJob j = job(p, "model.layers.2.mlp.up_proj.weight");
        assertThat(j.inputs()).extracting(in -> in.model().path())
                .containsExactly(a.toString(), b.toString(), base.toString());
        assertThat(weights(p, j.name())).containsExactly(0.3, 0.3, 0.4);
        assertThat(j.shape()).isEqualTo(Shape.of(24, TestModels.HIDDEN));
        assertThat(p.donor().directory()).isEqualTo(base);
        // models: merges keep the layer count of config.json as it is
        assertThat(p.outputConfig().numLayers()).isEqualTo(4);
    }

    @Test
    void dtypesAndUnknownParametersAreHandled() {
        MergePlan p = plan("""
                merge_method: linear
                models:
                  - {model: %s, parameters: {weight: 1, density: 0.5}}
                dtype: bfloat16
                out_dtype: float16
                parameters: {frobnicate: 1}
                """.formatted(a));
        TensorJob j = p.jobs().getFirst();
        assertThat(j.workDtype()).isEqualTo(DType.BF16);
        assertThat(j.outDtype()).isEqualTo(DType.F16);
        assertThat(p.outputConfig().torchDtype()).contains(DType.F16);
        assertThat(warnings).contains("Parameters 'density', 'frobnicate' are not read by method linear and ignored"
                + " (it reads 'normalize', 'weight').");
    }

    @Test
    void modelsWithoutATemplateGetAnInferredArchitecture() {
        MergePlan p = plan("""
                merge_method: linear
                slices:
                  - sources:
                      - {model: {model: {path: %1$s}, override_architecture: FooForCausalLM}, layer_range: [0, 2]}
                      - {model: {model: {path: %2$s}, override_architecture: FooForCausalLM}, layer_range: [2, 4]}
                parameters: {weight: 0.5}
                """.formatted(a, b));
        // inferred templates have no post-weights: the final norm and lm_head are pre-weights of the first slice
        TensorJob norm = job(p, "model.norm.weight");
        assertThat(norm.part()).isEqualTo(TensorJob.Part.PRE);
        assertThat(job(p, "lm_head.weight").isEmbed()).isTrue();
        assertThat(job(p, "model.layers.1.self_attn.v_proj.weight").inputs()).extracting(JobInput::storedName)
                .containsExactly("model.layers.1.self_attn.v_proj.weight", "model.layers.3.self_attn.v_proj.weight");
        assertThat(p.jobs()).noneMatch(j -> j.name().startsWith("model.layers.2."));
        assertThat(p.outputConfig().architectures()).containsExactly("FooForCausalLM");
        assertThat(p.outputConfig().requireInt("num_hidden_layers")).isEqualTo(2);
    }

    @Test
    void theNumberOfModelsIsCheckedAgainstTheMethod() {
        assertThatThrownBy(() -> plan("""
                merge_method: slerp
                base_model: %s
                models: [{model: %s}, {model: %s}]
                parameters: {t: 0.5}
                """.formatted(base, a, b)))
                .hasMessage("Method slerp takes exactly 1 model besides the base, but the models give 2.");
        assertThatThrownBy(() -> plan("""
                merge_method: model_stock
                base_model: %s
                slices:
                  - sources: [{model: %s, layer_range: [0, 4]}, {model: %s, layer_range: [0, 4]}]
                """.formatted(base, base, a)))
                .hasMessage("Method model_stock takes at least 2 models besides the base, but slice 0 has 1.");
    }

    @Test
    void aRequiredParameterMissingForOneTensorNamesMethodParameterModelAndTensor() {
        assertThatThrownBy(() -> plan("""
                merge_method: linear
                models:
                  - model: %s
                    parameters: {weight: [{filter: mlp, value: 1}]}
                """.formatted(a)))
                .isInstanceOf(EvomergeException.class)
                .hasMessage("Method linear needs parameter 'weight' for model " + a
                        + ", tensor model.embed_tokens.weight.");
    }

    @Test
    void fractionsOutsideZeroToOneAreRefusedNamingModelAndTensor() {
        assertThatThrownBy(() -> plan("""
                merge_method: ties
                base_model: %s
                models:
                  - model: %s
                    parameters: {weight: 1, density: [{filter: mlp, value: 1.5}, {value: 0.5}]}
                """.formatted(base, a)))
                .isInstanceOfSatisfying(EvomergeException.class,
                        e -> assertThat(e.kind()).isEqualTo(EvomergeException.Kind.USAGE))
                .hasMessageStartingWith("Method ties: parameter 'density' for model " + a + ", tensor model.layers.")
                .hasMessageContaining(".mlp.")
                .hasMessageEndingWith(" is 1.5; it is a fraction and must be between 0 and 1.");
        assertThatThrownBy(() -> plan("""
                merge_method: breadcrumbs
                base_model: %s
                models:
                  - model: %s
                    parameters: {weight: 1, density: -0.3}
                """.formatted(base, a)))
                .hasMessage("Method breadcrumbs: parameter 'density' for model " + a
                        + ", tensor model.embed_tokens.weight is -0.3; it is a fraction and must be between 0 and 1.");
        assertThatThrownBy(() -> plan("""
                merge_method: sce
                base_model: %s
                models: [{model: %s}]
                parameters: {select_topk: 2}
                """.formatted(base, a)))
                .hasMessage("Method sce: parameter 'select_topk', tensor model.embed_tokens.weight is 2.0; it is a"
                        + " fraction and must be between 0 and 1.");
    }

    @Test
    void boundaryFractionsAreAccepted() {
        MergePlan p = plan("""
                merge_method: ties
                base_model: %s
                models:
                  - model: %s
                    parameters: {weight: 1, density: 0}
                  - model: %s
                    parameters: {weight: 1, density: 1}
                """.formatted(base, a, b));
        // inputs in dict order: a, b, then the base (no parameters)
        assertThat(p.parameters().get(0).perInput()).extracting(m -> m.get("density"))
                .startsWith(0.0, 1.0);
    }

    @Test
    void croppedEmbeddingsGetMergekitsWarnings() {
        Path big = TestModels.model(dir, "bigvocab", TestModels.spec(SynthArch.LLAMA, 4, DType.F32, 7, false)
                .withVocabSize(TestModels.VOCAB + 8));
        int v = TestModels.VOCAB;
        int h = TestModels.HIDDEN;
        MergePlan linear = plan("""
                merge_method: linear
                models: [{model: %s, parameters: {weight: 1}}, {model: %s, parameters: {weight: 1}}]
                """.formatted(a, big));
        assertThat(job(linear, "model.embed_tokens.weight").shape()).isEqualTo(Shape.of(v, h));
        assertThat(warnings).contains("Using common submatrix of size [" + v + ", " + h + "] for"
                + " model.embed_tokens.weight (the inputs are [" + v + ", " + h + "] in " + a + ", [" + (v + 8) + ", "
                + h + "] in " + big + "; the rows and columns beyond it are dropped).");
        assertThat(warnings).anyMatch(w -> w.startsWith("Using common submatrix of size [" + v + ", " + h
                + "] for lm_head.weight"));
        warnings.clear();
        plan("""
                merge_method: ties
                base_model: %s
                models: [{model: %s, parameters: {weight: 1, density: 0.5}}]
                """.formatted(base, big));
        assertThat(warnings).contains("Using submatrix of " + big + ":model.embed_tokens.weight ([" + (v + 8) + ", "
                + h + "] cropped to the base model's [" + v + ", " + h + "]; the rows and columns beyond it are"
                + " dropped).");
        warnings.clear();
        plan("""
                merge_method: linear
                models: [{model: %s, parameters: {weight: 1}}, {model: %s, parameters: {weight: 1}}]
                """.formatted(a, b));
        assertThat(warnings).noneMatch(w -> w.contains("submatrix"));
    }
}
