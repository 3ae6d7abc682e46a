package dev.evomerge.merge;

import dev.evomerge.core.tensor.DType;
import dev.evomerge.merge.config.MergeConfigReader;
import dev.evomerge.merge.testing.Reference;
import dev.evomerge.merge.testing.TestModels;
import dev.evomerge.merge.testing.TestModels.Values;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * bfloat16 merges: float32 inputs cast to bf16 on load ({@code dtype}), math in bf16, output cast by
 * {@code out_dtype}; compared with the float64 formula on the bf16-rounded inputs, within two bf16 ulps of the
 * largest operand (each op rounds to bf16, as torch does on the CPU: docs/merging.md, "Numerics").
 */
class Bf16MergeTest {

    @TempDir
    static Path dir;
    static Path b;
    static Path a;
    static Path c;

    @BeforeAll
    static void models() {
        b = TestModels.base(dir, "b", 1, DType.F32, 31);
        a = TestModels.fineTune(b, dir, "a", 32);
        c = TestModels.fineTune(b, dir, "c", 33);
    }

    private Map<String, Values> merge(String yaml, String out) {
        Path o = dir.resolve(out);
        try (MergeSession s = MergeSession.open(MergeConfigReader.parse(yaml, "cfg.yml", w -> { }),
                MergeOptions.defaults().withThreads(1), MergeReporter.silent())) {
            s.writeModel(o);
        }
        return TestModels.read(o);
    }

    private static double[] bf16(double[] x) {
        double[] r = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            r[i] = TestModels.round(x[i], DType.BF16);
        }
        return r;
    }

    private void check(Map<String, Values> got, DType expectedDtype, BiFunction<String, List<double[]>, double[]> f) {
        Map<String, Values> va = TestModels.read(a);
        Map<String, Values> vb = TestModels.read(b);
        Map<String, Values> vc = TestModels.read(c);
        for (Map.Entry<String, Values> e : got.entrySet()) {
            String name = e.getKey();
            assertThat(e.getValue().dtype()).isEqualTo(expectedDtype);
            List<double[]> ins = List.of(bf16(va.get(name).data()), bf16(vb.get(name).data()),
                    bf16(vc.get(name).data()));
            double[] expected = f.apply(name, ins);
            double[] actual = e.getValue().data();
            for (int i = 0; i < actual.length; i++) {
                double largest = Math.max(Math.abs(expected[i]), Math.max(Math.abs(ins.get(0)[i]),
                        Math.max(Math.abs(ins.get(1)[i]), Math.abs(ins.get(2)[i]))));
                double ulp = Math.ulp((float) largest) * 65536; // a bf16 ulp is 2^16 float32 ulps
                assertThat(Math.abs(actual[i] - expected[i])).as(name + "[" + i + "]").isLessThanOrEqualTo(2 * ulp);
            }
        }
    }

    @Test
    void linearInBf16WritesBf16() {
        Map<String, Values> got = merge("""
                merge_method: linear
                models:
                  - {model: %s, parameters: {weight: 0.6}}
                  - {model: %s, parameters: {weight: 0.4}}
                dtype: bfloat16
                """.formatted(a, c), "linear");
        // weights are cast to the tensor dtype first, as mergekit does: in bf16 the weight 0.6 becomes 0.6015625
        check(got, DType.BF16, (n, x) -> Reference.linear(List.of(x.get(0), x.get(2)),
                new double[] {0.6015625, 0.400390625}, true));
    }

    @Test
    void taskArithmeticInBf16CastToFloat16() {
        Map<String, Values> got = merge("""
                merge_method: task_arithmetic
                base_model: %s
                models:
                  - {model: %s, parameters: {weight: 0.5}}
                  - {model: %s, parameters: {weight: 0.5}}
                dtype: bfloat16
                out_dtype: float16
                """.formatted(b, a, c), "ta");
        check(got, DType.F16, (n, x) -> {
            double[] base = x.get(1);
            double[] out = new double[base.length];
            for (int i = 0; i < out.length; i++) {
                out[i] = base[i] + 0.5 * (x.get(0)[i] - base[i]) + 0.5 * (x.get(2)[i] - base[i]);
            }
            return out;
        });
    }
}
