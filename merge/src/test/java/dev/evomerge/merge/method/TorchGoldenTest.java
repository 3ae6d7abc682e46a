package dev.evomerge.merge.method;

import dev.evomerge.core.safetensors.SafetensorsFile;
import dev.evomerge.core.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URISyntaxException;
import java.nio.file.Path;

import static dev.evomerge.merge.method.Fx.*;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * bf16 sce and arcee_fusion against golden tensors from torch 2.13 (CPU, AVX-512) running mergekit's ops in mergekit's
 * order. The file {@code golden/torch213-bf16.safetensors} holds the inputs and torch's results; it was written by
 * {@code golden/make_torch_golden.py} (next to it), which picks the inputs so that they contain issue #12's example
 * elements and so that evomerge's earlier formulas (sce weights through Python doubles; softmax with a double sum)
 * gave different tensors: 11 elements for sce, 2 for arcee_fusion. The comparison is bit for bit.
 */
class TorchGoldenTest {

    private static SafetensorsFile golden;

    @BeforeAll
    static void open() throws URISyntaxException {
        golden = SafetensorsFile.open(Path.of(TorchGoldenTest.class.getResource("/golden/torch213-bf16.safetensors")
                .toURI()));
    }

    @AfterAll
    static void close() {
        golden.close();
    }

    private static Tensor g(String name) {
        return golden.tensor(name);
    }

    @Test
    void sceMatchesTorchBitForBit() {
        Tensor r = run("sce", merge("b", p(), in("b", g("sce.base")), in("x1", g("sce.x1")), in("x2", g("sce.x2")),
                in("x3", g("sce.x3"))));
        float[] got = values(r);
        assertThat(got).containsExactly(values(g("sce.expected")));
        // issue #12: base 1.6953125, fine-tunes 1.75 / 1.6328125 / 1.7109375 -> 1.7421875 (evomerge had 1.734375)
        assertThat(values(g("sce.base"))[0]).isEqualTo(1.6953125f);
        assertThat(got[0]).isEqualTo(1.7421875f);
        // and 0.12158203125; 0.12890625 / 0.12060546875 / 0.1240234375 -> 0.1279296875 (had 0.126953125)
        assertThat(got[1]).isEqualTo(0.1279296875f);
    }

    @Test
    void sceIsIndependentOfTheOrderOfTheFineTunes() {
        // three models: the float32 sums of their bf16 terms are exact here, so any order gives the same bits
        Tensor r = run("sce", merge("b", p(), in("b", g("sce.base")), in("x3", g("sce.x3")), in("x1", g("sce.x1")),
                in("x2", g("sce.x2"))));
        assertThat(values(r)).containsExactly(values(g("sce.expected")));
    }

    @Test
    void arceeFusionMatchesTorchBitForBit() {
        // rows of 40: two 16-lane vectors and an 8-element tail in torch's softmax
        Tensor r = run("arcee_fusion", merge("a", p(), in("a", g("arcee_fusion.base")),
                in("b", g("arcee_fusion.other"))));
        float[] got = values(r);
        assertThat(got).containsExactly(values(g("arcee_fusion.expected")));
        // issue #12's pair: base -0.09423828125, fine-tune -0.068359375; torch keeps the base here
        assertThat(values(g("arcee_fusion.other"))[0]).isEqualTo(-0.068359375f);
        assertThat(got[0]).isEqualTo(-0.09423828125f);
    }

    @Test
    void sleefExpIsWithinOneUlpOfExp() {
        for (float x = -20f; x <= 0f; x += 0.001f) {
            float want = (float) Math.exp(x);
            assertThat(Math.abs(ArceeFusionMethod.sleefExp(x) - want)).as("exp(%s)", x)
                    .isLessThanOrEqualTo(Math.ulp(want));
        }
        assertThat(ArceeFusionMethod.sleefExp(0f)).isEqualTo(1f);
        assertThat(ArceeFusionMethod.sleefExp(-200f)).isEqualTo(0f);
    }
}
