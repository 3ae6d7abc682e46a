package dev.evomerge.merge;

import dev.evomerge.core.tensor.DType;
import dev.evomerge.merge.config.MergeConfigReader;
import dev.evomerge.merge.method.MergeMethods;
import dev.evomerge.merge.testing.Reference;
import dev.evomerge.merge.testing.Reference.Prune;
import dev.evomerge.merge.testing.TestModels;
import dev.evomerge.merge.testing.TestModels.Values;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every merge method end to end: a YAML config over synthetic float32 models (a base b and two fine-tunes a, c),
 * written to disk by the real pipeline, every output tensor compared with {@link Reference}'s float64 formula.
 */
class EndToEndMergeTest {

    @TempDir
    static Path dir;
    static Path b;
    static Path a;
    static Path c;
    static Map<String, Values> va;
    static Map<String, Values> vb;
    static Map<String, Values> vc;

    @BeforeAll
    static void models() {
        b = TestModels.base(dir, "b", 2, DType.F32, 11);
        a = TestModels.fineTune(b, dir, "a", 12);
        c = TestModels.fineTune(b, dir, "c", 13);
        va = TestModels.read(a);
        vb = TestModels.read(b);
        vc = TestModels.read(c);
    }

    /** Expected values of one output tensor from the inputs' values. */
    interface Expect {
        double[] of(String tensor, double[] a, double[] b, double[] c, int cols);
    }

    record Case(String name, String yaml, Expect expect, double tolerance) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Case> cases() {
        return Stream.of(
                new Case("linear", """
                        merge_method: linear
                        models:
                          - {model: A, parameters: {weight: 0.7}}
                          - {model: C, parameters: {weight: 0.5}}
                        """, (t, xa, xb, xc, cols) -> Reference.linear(List.of(xa, xc), new double[] {0.7, 0.5}, true),
                        1e-5),
                new Case("linear, negative weight, no normalization", """
                        merge_method: linear
                        models:
                          - {model: A, parameters: {weight: 1.5}}
                          - {model: C, parameters: {weight: -0.5}}
                        parameters: {normalize: false}
                        """, (t, xa, xb, xc, cols) -> Reference.linear(List.of(xa, xc), new double[] {1.5, -0.5}, false),
                        1e-5),
                new Case("task_arithmetic", """
                        merge_method: task_arithmetic
                        base_model: B
                        models:
                          - {model: A, parameters: {weight: 0.7}}
                          - {model: C, parameters: {weight: 0.5}}
                        parameters: {lambda: 0.9}
                        """, gta(new double[] {0.7, 0.5}, new double[] {1, 1}, Prune.NONE, 0, false, false, 0.9), 1e-5),
                new Case("ties", """
                        merge_method: ties
                        base_model: B
                        models:
                          - {model: A, parameters: {weight: 0.7, density: 0.5}}
                          - {model: C, parameters: {weight: 0.5, density: 0.5}}
                        """, gta(new double[] {0.7, 0.5}, new double[] {0.5, 0.5}, Prune.MAGNITUDE, 0, true, true, 1),
                        1e-5),
                new Case("ties, negative weight votes", """
                        merge_method: ties
                        base_model: B
                        models:
                          - {model: A, parameters: {weight: 1.0, density: 0.6}}
                          - {model: C, parameters: {weight: -0.8, density: 0.3}}
                        parameters: {normalize: false}
                        """, gta(new double[] {1.0, -0.8}, new double[] {0.6, 0.3}, Prune.MAGNITUDE, 0, true, false, 1),
                        1e-5),
                new Case("breadcrumbs", """
                        merge_method: breadcrumbs
                        base_model: B
                        models:
                          - {model: A, parameters: {weight: 0.6, density: 0.8, gamma: 0.05}}
                          - {model: C, parameters: {weight: 0.4, density: 0.8, gamma: 0.05}}
                        """, gta(new double[] {0.6, 0.4}, new double[] {0.8, 0.8}, Prune.OUTLIERS, 0.05, false, false,
                        1), 1e-5),
                new Case("breadcrumbs_ties", """
                        merge_method: breadcrumbs_ties
                        base_model: B
                        models:
                          - {model: A, parameters: {weight: 0.6, density: 0.7, gamma: 0.1}}
                          - {model: C, parameters: {weight: 0.4, density: 0.7, gamma: 0.1}}
                        """, gta(new double[] {0.6, 0.4}, new double[] {0.7, 0.7}, Prune.OUTLIERS, 0.1, true, false,
                        1), 1e-5),
                new Case("dare_ties at density 1", """
                        merge_method: dare_ties
                        base_model: B
                        models:
                          - {model: A, parameters: {weight: 0.6, density: 1}}
                          - {model: C, parameters: {weight: 0.4, density: 1}}
                        """, gta(new double[] {0.6, 0.4}, new double[] {1, 1}, Prune.NONE, 0, true, false, 1), 1e-5),
                new Case("dare_linear at density 1", """
                        merge_method: dare_linear
                        base_model: B
                        models:
                          - {model: A, parameters: {weight: 0.6, density: 1}}
                          - {model: C, parameters: {weight: 0.4, density: 1}}
                        """, gta(new double[] {0.6, 0.4}, new double[] {1, 1}, Prune.NONE, 0, false, false, 1), 1e-5),
                new Case("della at density 1", """
                        merge_method: della
                        base_model: B
                        models:
                          - {model: A, parameters: {weight: 0.6, density: 1}}
                          - {model: C, parameters: {weight: 0.3, density: 1}}
                        parameters: {lambda: 0.5}
                        """, gta(new double[] {0.6, 0.3}, new double[] {1, 1}, Prune.NONE, 0, true, true, 0.5), 1e-5),
                new Case("della_linear at density 1", """
                        merge_method: della_linear
                        base_model: B
                        models:
                          - {model: A, parameters: {weight: 0.6, density: 1}}
                          - {model: C, parameters: {weight: 0.3, density: 1}}
                        """, gta(new double[] {0.6, 0.3}, new double[] {1, 1}, Prune.NONE, 0, false, false, 1), 1e-5),
                new Case("slerp", """
                        merge_method: slerp
                        base_model: B
                        models:
                          - model: A
                        parameters: {t: 0.3}
                        """, (t, xa, xb, xc, cols) -> Reference.slerp(0.3, xb, xa), 1e-5),
                new Case("nuslerp", """
                        merge_method: nuslerp
                        models:
                          - {model: A, parameters: {weight: 0.3}}
                          - {model: C, parameters: {weight: 0.7}}
                        """, (t, xa, xb, xc, cols) -> Reference.nuslerp(null, xa, xc, 0.3, 0.7), 1e-5),
                new Case("nuslerp with a base", """
                        merge_method: nuslerp
                        base_model: B
                        models:
                          - {model: A, parameters: {weight: 0.3}}
                          - {model: C, parameters: {weight: 0.7}}
                        """, (t, xa, xb, xc, cols) -> Reference.nuslerp(xb, xa, xc, 0.3, 0.7), 1e-5),
                new Case("multislerp", """
                        merge_method: multislerp
                        base_model: B
                        models:
                          - {model: A, parameters: {weight: 0.4}}
                          - {model: C, parameters: {weight: 0.6}}
                        """, (t, xa, xb, xc, cols) -> Reference.multislerp(xb, List.of(xa, xc), new double[] {0.4, 0.6}),
                        1e-4),
                new Case("karcher", """
                        merge_method: karcher
                        models:
                          - model: A
                          - model: C
                        """, (t, xa, xb, xc, cols) -> Reference.karcher(List.of(xa, xc), 10, 1e-5), 1e-4),
                new Case("model_stock", """
                        merge_method: model_stock
                        base_model: B
                        models:
                          - model: A
                          - model: C
                        """, (t, xa, xb, xc, cols) -> Reference.modelStock(xb, List.of(xa, xc)), 1e-4),
                new Case("nearswap", """
                        merge_method: nearswap
                        base_model: B
                        models:
                          - model: A
                        parameters: {t: 0.02}
                        """, (t, xa, xb, xc, cols) -> Reference.nearswap(xb, xa, 0.02), 1e-5),
                new Case("arcee_fusion", """
                        merge_method: arcee_fusion
                        base_model: B
                        models:
                          - model: A
                        """, (t, xa, xb, xc, cols) -> Reference.arceeFusion(xb, xa, cols), 1e-6),
                new Case("sce", """
                        merge_method: sce
                        base_model: B
                        models:
                          - model: A
                          - model: C
                        parameters: {select_topk: 0.5}
                        """, (t, xa, xb, xc, cols) -> Reference.sce(xb, List.of(xa, xc), 0.5), 1e-5),
                new Case("ram", """
                        merge_method: ram
                        base_model: B
                        models:
                          - model: A
                          - model: C
                        """, (t, xa, xb, xc, cols) -> Reference.ram(xb, List.of(xa, xc), false, 0.1, 0.2, 1e-5), 1e-5),
                new Case("ramplus_tl", """
                        merge_method: ramplus_tl
                        base_model: B
                        models:
                          - model: A
                          - model: C
                        parameters: {r: 0.05, alpha: 1.0, epsilon: 0.01}
                        """, (t, xa, xb, xc, cols) -> Reference.ram(xb, List.of(xa, xc), true, 0.05, 1.0, 0.01), 1e-5),
                new Case("passthrough with a filtered scale", """
                        merge_method: passthrough
                        models:
                          - model: A
                            parameters:
                              scale: [{filter: o_proj, value: 0.5}, {value: 1}]
                        """, (t, xa, xb, xc, cols) -> Reference.scale(xa, t.contains("o_proj") ? 0.5 : 1), 0));
    }

    private static Expect gta(double[] w, double[] density, Prune prune, double gamma, boolean consensus,
                              boolean normalize, double lambda) {
        return (t, xa, xb, xc, cols) -> Reference.gta(xb, List.of(xa, xc), w, density, prune, gamma, consensus,
                normalize, lambda);
    }

    @Test
    void theCasesCoverEveryRegisteredMethod() {
        Set<String> covered = new HashSet<>();
        cases().forEach(k -> covered.add(k.yaml().lines().findFirst().orElseThrow().replace("merge_method: ", "")));
        assertThat(covered).containsExactlyInAnyOrderElementsOf(MergeMethods.names());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void mergesMatchTheFloat64Reference(Case k) {
        String yaml = k.yaml().replace("A", a.toString()).replace("B", b.toString()).replace("C", c.toString());
        Path out = dir.resolve("out-" + k.name().replaceAll("\\W+", "-"));
        List<String> warnings = new ArrayList<>();
        try (MergeSession s = MergeSession.open(MergeConfigReader.parse(yaml, "cfg.yml", warnings::add),
                MergeOptions.defaults().withThreads(2).withRandomSeed(5L), warnings::add)) {
            s.writeModel(out);
        }
        assertThat(warnings).isEmpty();
        Map<String, Values> got = TestModels.read(out);
        assertThat(got.keySet()).containsExactlyInAnyOrderElementsOf(va.keySet());
        for (Map.Entry<String, Values> e : got.entrySet()) {
            String name = e.getKey();
            Values v = e.getValue();
            assertThat(v.dtype()).as(name).isEqualTo(DType.F32);
            assertThat(v.shape()).as(name).isEqualTo(va.get(name).shape());
            int cols = (int) v.shape().dim(v.shape().rank() - 1);
            double[] expected = k.expect().of(name, va.get(name).data(), vb.get(name).data(), vc.get(name).data(),
                    cols);
            assertClose(name, v.data(), expected, k.tolerance(), va.get(name).data(), vb.get(name).data(),
                    vc.get(name).data());
        }
    }

    /** |got - expected| <= tol * (1 + the largest input magnitude at that element), then rounded to float32. */
    static void assertClose(String name, double[] got, double[] expected, double tol, double[]... inputs) {
        assertThat(got).as(name).hasSameSizeAs(expected);
        int bad = -1;
        for (int i = 0; i < got.length && bad < 0; i++) {
            double scale = 1;
            for (double[] in : inputs) {
                scale = Math.max(scale, 1 + Math.abs(in[i]));
            }
            if (!(Math.abs(got[i] - (float) expected[i]) <= tol * scale)) {
                bad = i;
            }
        }
        if (bad >= 0) {
            assertThat(got[bad]).as(name + "[" + bad + "]").isEqualTo((double) (float) expected[bad]);
        }
    }
}
