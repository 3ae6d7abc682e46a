package dev.evomerge.merge.method;

import dev.evomerge.core.EvomergeException;
import org.junit.jupiter.api.Test;

import static dev.evomerge.merge.method.Fx.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PassthroughMethodTest {

    @Test
    void copiesTheInput() {
        assertThat(values(run("passthrough", merge(null, p(), in("a", f32(1.5, -2, 0)))))).containsExactly(1.5f, -2f, 0f);
    }

    @Test
    void scalesWithAFloat32Scalar() {
        assertThat(values(run("passthrough", merge(null, p(), in("a", f32(1.5, -2, 0), "scale", 0.5)))))
                .containsExactly(0.75f, -1f, 0f);
        // bf16: 3 · float32(1.0039) = 3.0117 -> bf16 3.015625 (a bf16 scalar 1.0 would give 3.0).
        assertThat(values(run("passthrough", merge(null, p(), in("a", bf16(3), "scale", 1.0039)))))
                .containsExactly(3.015625f);
    }

    @Test
    void moreThanOneInputIsAnError() {
        assertThatThrownBy(() -> run("passthrough", merge(null, p(), in("a", f32(1)), in("b", f32(2)))))
                .isInstanceOf(EvomergeException.class).hasMessageContaining("exactly one input");
    }
}
