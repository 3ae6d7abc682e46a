package dev.evomerge.eval.reload;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.synth.FineTuneSynthesizer;
import dev.evomerge.core.synth.ModelSynthesizer;
import dev.evomerge.core.synth.SynthModelSpec;
import dev.evomerge.core.tensor.DType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The kept in-JVM probe gives the answer of a fresh load of each candidate (bf16 and float32 weights), loads
 * from disk only for the first candidate and for one of another shape, and fails as a fresh load does.
 */
class InJvmProbeTest {

    @TempDir
    static Path tmp;
    static Path base;
    static Path fineTune;
    static Path bf16Base;
    static Path bf16FineTune;
    static Path wider;
    static int[] tokens;

    @BeforeAll
    static void models() {
        base = tmp.resolve("base");
        fineTune = tmp.resolve("fine-tune");
        bf16Base = tmp.resolve("bf16-base");
        bf16FineTune = tmp.resolve("bf16-fine-tune");
        wider = tmp.resolve("wider");
        ModelSynthesizer.write(SynthModelSpec.defaults(), base);
        FineTuneSynthesizer.write(base, fineTune, 7, 1.0);
        ModelSynthesizer.write(SynthModelSpec.defaults().withDtype(DType.BF16), bf16Base);
        FineTuneSynthesizer.write(bf16Base, bf16FineTune, 8, 1.0);
        ModelSynthesizer.write(SynthModelSpec.defaults().withWidth(128, 4, 2, 176), wider);
        tokens = ReloadProbe.promptTokens(base);
    }

    /**
     * Scores of the same weights agree to about 1e-5 nats per token, not bit for bit: the engine's float sums are
     * reduced in another order by code at another stage of JIT compilation (ReloadingServerTest's tolerance).
     */
    private static final double TOLERANCE = 1e-4;

    private static ProbeLogprobs fresh(Path dir) {
        return ReloadProbe.inJvm(dir, tokens);
    }

    private static void assertAnswersAs(ProbeLogprobs got, Path dir) {
        assertThat(got.meanAbsDifference(fresh(dir))).as(dir.toString()).isLessThanOrEqualTo(TOLERANCE);
    }

    @Test
    void candidatesOfOneShapeAreWrittenInPlaceWithAFreshLoadsAnswer() {
        try (InJvmProbe probe = InJvmProbe.kept()) {
            for (Path dir : new Path[]{bf16Base, bf16FineTune, bf16Base}) {
                assertAnswersAs(probe.of(dir, tokens), dir);
            }
            assertThat(probe.loads()).isEqualTo(1);
            assertThat(fresh(bf16Base).meanAbsDifference(fresh(bf16FineTune))).as("the two models answer differently")
                    .isGreaterThan(100 * TOLERANCE);
        }
    }

    @Test
    void anotherDtypeOrShapeLoadsAfreshAndIsCounted() {
        try (InJvmProbe probe = InJvmProbe.kept()) {
            assertAnswersAs(probe.of(base, tokens), base);
            assertAnswersAs(probe.of(fineTune, tokens), fineTune);
            assertThat(probe.loads()).isEqualTo(1);
            assertAnswersAs(probe.of(wider, tokens), wider);
            assertThat(probe.loads()).isEqualTo(2);
            assertAnswersAs(probe.of(bf16FineTune, tokens), bf16FineTune);
            assertThat(probe.loads()).isEqualTo(3);
        }
    }

    @Test
    void aDirectoryThatIsNotAModelFailsAsAFreshLoadDoesAndTheNextCandidateStillWorks() throws Exception {
        Path broken = Files.createDirectories(tmp.resolve("no-config"));
        Files.copy(base.resolve("tokenizer.json"), broken.resolve("tokenizer.json"));
        try (InJvmProbe probe = InJvmProbe.kept()) {
            probe.of(base, tokens);
            assertThatThrownBy(() -> probe.of(broken, tokens)).isInstanceOf(EvomergeException.class);
            assertAnswersAs(probe.of(fineTune, tokens), fineTune);
        }
        try (InJvmProbe once = InJvmProbe.loadingEach()) {
            assertAnswersAs(once.of(fineTune, tokens), fineTune);
            assertAnswersAs(once.of(fineTune, tokens), fineTune);
            assertThat(once.loads()).isEqualTo(2);
        }
    }
}
