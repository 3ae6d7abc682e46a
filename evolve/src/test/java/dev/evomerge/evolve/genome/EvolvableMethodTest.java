package dev.evomerge.evolve.genome;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.synth.FineTuneSynthesizer;
import dev.evomerge.core.synth.ModelSynthesizer;
import dev.evomerge.core.synth.SynthArch;
import dev.evomerge.core.synth.SynthModelSpec;
import dev.evomerge.core.tensor.DType;
import dev.evomerge.merge.MergeOptions;
import dev.evomerge.merge.MergeReporter;
import dev.evomerge.merge.MergeSession;
import dev.evomerge.merge.config.InputSlice;
import dev.evomerge.merge.config.LayerRange;
import dev.evomerge.merge.config.MergeConfig;
import dev.evomerge.merge.config.MergeConfigWriter;
import dev.evomerge.merge.config.ModelReference;
import dev.evomerge.merge.config.OutputSlice;
import dev.evomerge.merge.config.ParameterSetting;
import dev.evomerge.merge.config.ParameterSetting.Scalar;
import dev.evomerge.merge.config.Parameters;
import dev.evomerge.merge.method.MergeMethod;
import dev.evomerge.merge.method.MergeMethods;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Genes, base requirement and normalize default come from the merge methods' declarations. */
class EvolvableMethodTest {

    static final List<String> EVOLVABLE = List.of("breadcrumbs", "breadcrumbs_ties", "dare_linear", "dare_ties",
            "della", "della_linear", "linear", "slerp", "task_arithmetic", "ties");

    @Test
    void theBuiltInMethodsDeclareTheGenesTheGenomeHasAlwaysUsed() {
        assertThat(EvolvableMethod.named("linear").genes()).containsExactly("weight");
        assertThat(EvolvableMethod.named("task_arithmetic").genes()).containsExactly("weight");
        for (String m : List.of("ties", "dare_ties", "dare_linear", "della", "breadcrumbs", "breadcrumbs_ties",
                "della_linear")) {
            assertThat(EvolvableMethod.named(m).genes()).as(m).containsExactly("weight", "density");
            assertThat(EvolvableMethod.named(m).pairwise()).as(m).isFalse();
            assertThat(EvolvableMethod.named(m).needsBase()).as(m).isTrue();
        }
        EvolvableMethod slerp = EvolvableMethod.named("slerp");
        assertThat(slerp.genes()).containsExactly("t");
        assertThat(slerp.pairwise()).isTrue();
        assertThat(slerp.needsBase()).isFalse();
        assertThat(EvolvableMethod.named("linear").needsBase()).isFalse();
        assertThat(EvolvableMethod.named("task_arithmetic").needsBase()).isTrue();
        List<String> evolvable = MergeMethods.all().stream().filter(m -> EvolvableMethod.of(m).isPresent())
                .map(MergeMethod::name).sorted().toList();
        assertThat(evolvable).isEqualTo(EVOLVABLE);
    }

    @Test
    void normalizeDefaultsToTrueForTiesDareTiesAndLinearOnly() {
        for (String m : EVOLVABLE) {
            boolean expected = m.equals("ties") || m.equals("dare_ties") || m.equals("linear");
            assertThat(EvolvableMethod.named(m).normalizeByDefault()).as(m).isEqualTo(expected);
        }
    }

    @Test
    void aMethodThatCannotBeEvolvedIsOneSentenceListingThoseThatCan() {
        for (String m : List.of("frankenmerge", "passthrough", "nearswap", "model_stock", "nuslerp")) {
            assertThatThrownBy(() -> EvolvableMethod.named(m)).isInstanceOf(EvomergeException.class)
                    .hasMessage("genome.merge_method '" + m + "' is not supported for evolution: use one of "
                            + String.join(", ", EVOLVABLE) + ".");
        }
    }

    static List<MergeMethod> withScaledSum() {
        List<MergeMethod> methods = new ArrayList<>(MergeMethods.all());
        methods.add(new ScaledSumMethod());
        return methods;
    }

    @Test
    void aMethodDeclaredOnlyInItsOwnClassIsEvolvedWithNoChangeToTheGenome() {
        GenomeDefinition def = new GenomeDefinition(List.of("m1", "m2"), ScaledSumMethod.NAME, "base", null, 2, null,
                false, false, List.of());
        assertThatThrownBy(() -> new Genome(def, 4)).hasMessageContaining("'scaled_sum' is not supported");
        Genome g = new Genome(def, 4, withScaledSum());
        assertThat(g.layout().dimensions()).containsExactly(2, 2, 1, 2);
        assertThat(g.layout().parameters()).containsExactly("weight", "scale");
        // weight genes are weight 1/M, others 1
        assertThat(g.initialGenes()).containsExactly(0.5, 1, 0.5, 1, 0.5, 1, 0.5, 1);
        double[] genes = {0.1, 0.2, 0.3, -0.4, 0.5, 0.6, 0.7, 0.8};
        List<OutputSlice> slices = new ArrayList<>();
        for (int group = 0; group < 2; group++) {
            LayerRange range = new LayerRange(2 * group, 2 * group + 2);
            List<InputSlice> sources = new ArrayList<>();
            for (int m = 0; m < 2; m++) {
                Map<String, ParameterSetting> p = new LinkedHashMap<>();
                p.put("weight", Scalar.of(genes[group * 4 + m * 2]));
                p.put("scale", Scalar.of(Math.abs(genes[group * 4 + m * 2 + 1])));
                sources.add(new InputSlice(ModelReference.of("m" + (m + 1)), range, Parameters.of(p)));
            }
            sources.add(new InputSlice(ModelReference.of("base"), range, Parameters.empty()));
            slices.add(new OutputSlice(sources, null, Parameters.empty(), null));
        }
        // the method declares normalize true, so an unset genome.normalize writes true
        Map<String, ParameterSetting> global = new LinkedHashMap<>();
        global.put("normalize", Scalar.of(true));
        global.put("int8_mask", Scalar.of(true));
        MergeConfig expected = MergeConfig.ofSlices(ScaledSumMethod.NAME, slices, ModelReference.of("base"),
                Parameters.of(global), DType.BF16);
        assertThat(g.decode(genes)).isEqualTo(expected);

        GenomeDefinition noBase = new GenomeDefinition(List.of("m1", "m2"), ScaledSumMethod.NAME, null, null, 0, null,
                false, false, List.of());
        assertThatThrownBy(() -> new Genome(noBase, 4, withScaledSum())).isInstanceOf(EvomergeException.class)
                .hasMessage("genome.base_model is required for merge_method scaled_sum.");
    }

    @Test
    void breadcrumbsTiesAndDellaLinearDecodeAsTheirFamilyDoes() {
        for (String[] pair : new String[][] {{"breadcrumbs_ties", "breadcrumbs"}, {"della_linear", "della"}}) {
            GenomeDefinition def = new GenomeDefinition(List.of("a", "b"), pair[0], "base", "union", 1, null, true,
                    false, List.of("mlp"));
            GenomeDefinition family = new GenomeDefinition(List.of("a", "b"), pair[1], "base", "union", 1, false, true,
                    false, List.of("mlp"));
            Genome g = new Genome(def, 2);
            double[] genes = new double[g.layout().size()];
            for (int i = 0; i < genes.length; i++) {
                genes[i] = 0.05 + i * 0.06;
            }
            MergeConfig cfg = g.decode(genes);
            MergeConfig familyCfg = new Genome(family, 2).decode(genes);
            assertThat(cfg.mergeMethod()).isEqualTo(pair[0]);
            assertThat(cfg.slices()).isEqualTo(familyCfg.slices());
            assertThat(cfg.parameters()).isEqualTo(familyCfg.parameters());
            assertThat(cfg.baseModel()).isEqualTo(ModelReference.of("base"));
            assertThat(cfg.tokenizer()).isEqualTo(familyCfg.tokenizer());
        }
    }

    @Test
    void everyEvolvableMethodsDecodedConfigMerges(@TempDir Path dir) {
        Path base = dir.resolve("base");
        Path a = dir.resolve("a");
        Path b = dir.resolve("b");
        SynthModelSpec spec = new SynthModelSpec(SynthArch.LLAMA, 512, 64, 4, 4, 2, 176, DType.BF16, 5, false, false);
        ModelSynthesizer.write(spec, base);
        FineTuneSynthesizer.write(base, a, 6, 0.1);
        FineTuneSynthesizer.write(base, b, 7, 0.1);
        List<String> models = List.of(a.toString(), b.toString());
        for (String m : EVOLVABLE) {
            boolean slerp = m.equals("slerp");
            // a base only where the method needs one (linear would take it as an input without a weight)
            String baseModel = EvolvableMethod.named(m).needsBase() ? base.toString() : null;
            GenomeDefinition def = new GenomeDefinition(models, m, baseModel, null, 2, null, false, false,
                    slerp ? List.of() : List.of("self_attn"));
            Genome g = new Genome(def, spec.numLayers());
            double[] genes = new double[g.layout().size()];
            Arrays.fill(genes, 0.5);
            genes[0] = 0.6;
            Path out = dir.resolve("out-" + m);
            MergeConfig cfg = g.decode(genes);
            try (MergeSession s = MergeSession.open(cfg, MergeOptions.defaults().withThreads(1).withRandomSeed(1L),
                    MergeReporter.silent())) {
                s.writeModel(out);
            }
            assertThat(out.resolve("model.safetensors")).as(m).isRegularFile();
            // a config built in code is written out by the one writer
            assertThat(out.resolve("mergekit_config.yml")).as(m).hasContent(MergeConfigWriter.toYaml(cfg));
        }
    }
}
