package dev.evomerge.merge;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.Tensor;
import dev.evomerge.merge.config.MergeConfig;
import dev.evomerge.merge.config.MergeConfigReader;
import dev.evomerge.merge.exec.ResidentTensors;
import dev.evomerge.merge.testing.TestModels;
import dev.evomerge.merge.testing.TestModels.Values;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The evolution loop's API: plan once, merge many parameter sets into resident weights, reuse task vectors. */
class MergeSessionTest {

    @TempDir
    static Path dir;
    static Path b;
    static Path a;
    static Path c;

    @BeforeAll
    static void models() {
        b = TestModels.base(dir, "b", 2, DType.BF16, 41);
        a = TestModels.fineTune(b, dir, "a", 42);
        c = TestModels.fineTune(b, dir, "c", 43);
    }

    private static MergeConfig ties(double wa, double wc, double density) {
        return MergeConfigReader.parse("""
                merge_method: ties
                base_model: %s
                models:
                  - {model: %s, parameters: {weight: %s, density: %s}}
                  - {model: %s, parameters: {weight: %s, density: %s}}
                dtype: bfloat16
                """.formatted(b, a, wa, density, c, wc, density), "cfg.yml", w -> { });
    }

    private static void assertSame(ResidentTensors got, Map<String, Values> expected) {
        assertThat(got.tensorNames()).containsExactlyInAnyOrderElementsOf(expected.keySet());
        for (String name : got.tensorNames()) {
            Tensor t = got.tensor(name);
            double[] e = expected.get(name).data();
            for (int i = 0; i < e.length; i++) {
                assertThat(t.getDouble(i)).as(name + "[" + i + "]").isEqualTo(e[i]);
            }
        }
    }

    @Test
    void oneSessionMergesManyCandidatesBitForBitLikeFreshMergesToDisk() {
        MergeOptions cached = MergeOptions.defaults().withThreads(2).withRandomSeed(1L)
                .withTaskVectorCacheBytes(64L << 20);
        try (MergeSession session = MergeSession.open(ties(0.5, 0.5, 0.5), cached, MergeReporter.silent());
             ResidentTensors weights = new ResidentTensors(session.plan().outputs())) {
            double[][] candidates = {{0.7, 0.3, 0.4}, {0.2, 1.1, 0.9}, {0.7, 0.3, 0.4}};
            for (int k = 0; k < candidates.length; k++) {
                double[] p = candidates[k];
                session.mergeInto(ties(p[0], p[1], p[2]), weights);
                Path fresh = dir.resolve("fresh-" + k);
                try (MergeSession once = MergeSession.open(ties(p[0], p[1], p[2]),
                        MergeOptions.defaults().withThreads(1).withRandomSeed(1L), MergeReporter.silent())) {
                    once.writeModel(fresh);
                }
                assertSame(weights, TestModels.read(fresh));
            }
            // bf16 ties streams from the inputs, so the offered cache stays empty (no float32 task vectors held)
            assertThat(session.cache().size()).isZero();
            assertThat(session.cache().bytesHeld()).isZero();
        }
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"linear", "task_arithmetic"})
    void streamedMethodsMergeInPlaceIntoResidentWeightsBitForBitLikeMergesToDisk(String method) {
        // linear and plain task arithmetic on bf16 write straight into the resident buffers (and, to disk, into
        // the writer's reused output buffers): the same bits as a fresh single-threaded merge to disk
        MergeOptions cached = MergeOptions.defaults().withThreads(2).withRandomSeed(1L)
                .withTaskVectorCacheBytes(64L << 20);
        try (MergeSession session = MergeSession.open(streamed(method, 0.5, 0.5), cached, MergeReporter.silent());
             ResidentTensors weights = new ResidentTensors(session.plan().outputs())) {
            double[][] candidates = {{0.7, 0.3}, {-0.2, 1.1}};
            for (int k = 0; k < candidates.length; k++) {
                MergeConfig cfg = streamed(method, candidates[k][0], candidates[k][1]);
                session.mergeInto(cfg, weights);
                Path fresh = dir.resolve(method + "-" + k);
                try (MergeSession once = MergeSession.open(cfg, MergeOptions.defaults().withThreads(1),
                        MergeReporter.silent())) {
                    once.writeModel(fresh);
                }
                assertSame(weights, TestModels.read(fresh));
            }
        }
    }

    private static MergeConfig streamed(String method, double wa, double wc) {
        return MergeConfigReader.parse("""
                merge_method: %s
                %s
                models:
                  - {model: %s, parameters: {weight: %s}}
                  - {model: %s, parameters: {weight: %s}}
                dtype: bfloat16
                """.formatted(method, method.equals("linear") ? "" : "base_model: " + b, a, wa, c, wc),
                "cfg.yml", w -> { });
    }

    @Test
    void aConfigWithAnotherLayoutIsRefused() {
        try (MergeSession session = MergeSession.open(ties(0.5, 0.5, 0.5), MergeOptions.defaults(),
                MergeReporter.silent());
             ResidentTensors weights = new ResidentTensors(session.plan().outputs())) {
            MergeConfig otherModels = MergeConfigReader.parse("""
                    merge_method: ties
                    base_model: %s
                    models:
                      - {model: %s, parameters: {weight: 1, density: 0.5}}
                    dtype: bfloat16
                    """.formatted(b, a), "cfg.yml", w -> { });
            assertThatThrownBy(() -> session.mergeInto(otherModels, weights))
                    .isInstanceOf(EvomergeException.class)
                    .hasMessage("The config differs from the planned one in its models or layer ranges; only"
                            + " parameter values may change between merges of one plan.");
            MergeConfig otherDtype = MergeConfigReader.parse(ties(0.5, 0.5, 0.5).sourceText()
                    .replace("bfloat16", "float32"), "cfg.yml", w -> { });
            assertThatThrownBy(() -> session.mergeInto(otherDtype, weights))
                    .hasMessageContaining("in dtype or out_dtype");
            MergeConfig unplannedModel = MergeConfigReader.parse(ties(0.5, 0.5, 0.5).sourceText()
                    .replace(c.toString(), dir.resolve("elsewhere").toString()), "cfg.yml", w -> { });
            assertThatThrownBy(() -> session.mergeInto(unplannedModel, weights))
                    .isInstanceOf(EvomergeException.class)
                    .hasMessageContaining("in its models (" + dir.resolve("elsewhere") + " was not planned)");
            assertThat(session.plan().layoutMatches(otherModels)).isFalse();
            assertThat(session.plan().layoutMatches(ties(0.9, 0.1, 0.2))).isTrue();
        }
    }

    @Test
    void candidateParametersAreValidatedBeforeMerging() {
        try (MergeSession session = MergeSession.open(ties(0.5, 0.5, 0.5), MergeOptions.defaults(),
                MergeReporter.silent());
             ResidentTensors weights = new ResidentTensors(session.plan().outputs())) {
            MergeConfig noWeight = MergeConfigReader.parse(ties(0.5, 0.5, 0.5).sourceText()
                    .replaceFirst("weight: 0.5, ", ""), "cfg.yml", w -> { });
            assertThatThrownBy(() -> session.mergeInto(noWeight, weights))
                    .hasMessage("Method ties needs parameter 'weight' for model " + a
                            + ", tensor model.embed_tokens.weight.");
        }
    }
}
