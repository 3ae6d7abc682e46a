package dev.evomerge.merge;

import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.Tensor;
import dev.evomerge.merge.config.MergeConfigReader;
import dev.evomerge.merge.exec.ResidentTensors;
import dev.evomerge.merge.testing.TestModels;
import dev.evomerge.merge.testing.TestModels.Values;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * dare and della end to end (masks drawn from --random-seed, keyed by tensor and model): their masks are random, so
 * the checks are structural: every output element is the base or the base plus one common L1 rescale of the task
 * vector, the kept fraction is about the density, L1 norms are preserved, della keeps larger magnitudes more often,
 * and a seed fixes the draw.
 */
class RandomMethodsTest {

    @TempDir
    static Path dir;
    static Path b;
    static Path a;
    static Map<String, Values> va;
    static Map<String, Values> vb;

    @BeforeAll
    static void models() {
        b = TestModels.base(dir, "b", 2, DType.F32, 21);
        a = TestModels.fineTune(b, dir, "a", 22);
        va = TestModels.read(a);
        vb = TestModels.read(b);
    }

    private static ResidentTensors merge(String method, String params, long seed) {
        String yaml = """
                merge_method: %s
                base_model: %s
                models:
                  - {model: %s, parameters: {weight: 1, density: 0.5%s}}
                """.formatted(method, b, a, params);
        try (MergeSession s = MergeSession.open(MergeConfigReader.parse(yaml, "cfg.yml", w -> { }),
                MergeOptions.defaults().withThreads(2).withRandomSeed(seed), MergeReporter.silent())) {
            ResidentTensors out = new ResidentTensors(s.plan().outputs());
            s.mergeInto(out);
            return out;
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"dare_linear", "dare_ties", "della", "della_linear"})
    void keptElementsAreOneRescaleOfTheTaskVectorAndL1IsPreserved(String method) {
        String extra = method.startsWith("della") ? ", epsilon: 0.1" : "";
        try (ResidentTensors out = merge(method, extra, 3)) {
            for (String name : out.tensorNames()) {
                double[] x = va.get(name).data();
                double[] base = vb.get(name).data();
                Tensor t = out.tensor(name);
                int n = x.length;
                double l1 = 0;
                double l1Kept = 0;
                double l1Out = 0;
                int kept = 0;
                double sumKeptAbs = 0;
                double sumDroppedAbs = 0;
                for (int i = 0; i < n; i++) {
                    double delta = (float) (x[i] - base[i]);
                    double diff = t.getDouble(i) - base[i];
                    l1 += Math.abs(delta);
                    l1Out += Math.abs(diff);
                    if (Math.abs(diff) > 1e-6 * (1 + Math.abs(base[i]))) {
                        kept++;
                        l1Kept += Math.abs(delta);
                        sumKeptAbs += Math.abs(delta);
                    } else {
                        sumDroppedAbs += Math.abs(delta);
                    }
                }
                double scale = l1 / l1Kept;
                for (int i = 0; i < n; i++) {
                    double delta = (float) (x[i] - base[i]);
                    double diff = t.getDouble(i) - base[i];
                    if (Math.abs(diff) > 1e-6 * (1 + Math.abs(base[i]))) {
                        assertThat(diff).as(name + "[" + i + "]")
                                .isCloseTo(delta * scale, within(2e-6 * (1 + Math.abs(base[i]) + Math.abs(delta * scale))));
                    }
                }
                assertThat(l1Out).as(name + " L1").isCloseTo(l1, within(1e-4 * l1 + 1e-6));
                if (n >= 384) {
                    assertThat((double) kept / n).as(name + " kept fraction").isCloseTo(0.5, within(0.1));
                }
                if (method.startsWith("della") && n >= 4000) {
                    // the keep probability rises with |delta| within each row
                    assertThat(sumKeptAbs / kept).as(name).isGreaterThan(sumDroppedAbs / (n - kept));
                }
            }
        }
    }

    @Test
    void theSeedFixesTheDrawAndAnotherSeedChangesIt() {
        String name = "model.embed_tokens.weight";
        try (ResidentTensors one = merge("dare_linear", "", 9); ResidentTensors two = merge("dare_linear", "", 9);
             ResidentTensors other = merge("dare_linear", "", 10)) {
            Tensor x = one.tensor(name);
            Tensor y = two.tensor(name);
            Tensor z = other.tensor(name);
            int differ = 0;
            for (int i = 0; i < x.numel(); i++) {
                assertThat(y.getFloat(i)).isEqualTo(x.getFloat(i));
                differ += x.getFloat(i) != z.getFloat(i) ? 1 : 0;
            }
            assertThat(differ).isGreaterThan((int) (x.numel() / 4));
        }
    }
}
