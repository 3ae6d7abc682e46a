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
 * The kept in-JVM probe gives exactly the answer of a fresh load of each candidate (bf16 and float32 weights), loads
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

    private static double[] fresh(Path dir) {
        return ReloadProbe.inJvm(dir, tokens).logprobs();
    }

    @Test
    void candidatesOfOneShapeAreWrittenInPlaceWithAFreshLoadsAnswer() {
        try (InJvmProbe probe = InJvmProbe.kept()) {
            for (Path dir : new Path[]{bf16Base, bf16FineTune, bf16Base}) {
                assertThat(probe.of(dir, tokens).logprobs()).as(dir.toString()).isEqualTo(fresh(dir));
            }
            assertThat(probe.loads()).isEqualTo(1);
            assertThat(fresh(bf16Base)).as("the two models answer differently").isNotEqualTo(fresh(bf16FineTune));
        }
    }

    @Test
    void anotherDtypeOrShapeLoadsAfreshAndIsCounted() {
        try (InJvmProbe probe = InJvmProbe.kept()) {
            assertThat(probe.of(base, tokens).logprobs()).isEqualTo(fresh(base));
            assertThat(probe.of(fineTune, tokens).logprobs()).isEqualTo(fresh(fineTune));
            assertThat(probe.loads()).isEqualTo(1);
            assertThat(probe.of(wider, tokens).logprobs()).isEqualTo(fresh(wider));
            assertThat(probe.loads()).isEqualTo(2);
            assertThat(probe.of(bf16FineTune, tokens).logprobs()).isEqualTo(fresh(bf16FineTune));
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
            assertThat(probe.of(fineTune, tokens).logprobs()).isEqualTo(fresh(fineTune));
        }
        try (InJvmProbe once = InJvmProbe.loadingEach()) {
            assertThat(once.of(fineTune, tokens).logprobs()).isEqualTo(fresh(fineTune));
            assertThat(once.of(fineTune, tokens).logprobs()).isEqualTo(fresh(fineTune));
            assertThat(once.loads()).isEqualTo(2);
        }
    }
}
