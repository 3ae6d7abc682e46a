package dev.evomerge.merge.exec;

import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.Shape;
import dev.evomerge.core.tensor.Tensor;
import dev.evomerge.core.tensor.TensorInfo;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ResidentTensorsTest {

    @Test
    void theTargetIsTheResidentBufferAndAcceptingItCopiesNothing() {
        try (ResidentTensors w = new ResidentTensors(List.of(new TensorInfo("a", DType.BF16, Shape.of(2, 3)),
                new TensorInfo("b", DType.F32, Shape.of(4))))) {
            Tensor a = w.target("a");
            assertThat(a.data().address()).isEqualTo(w.tensor("a").data().address());
            assertThat(a.dtype()).isEqualTo(DType.BF16);
            for (int i = 0; i < 6; i++) {
                a.setDouble(i, i + 0.5);
            }
            w.accept("a", a);
            assertThat(w.tensor("a").getDouble(5)).isEqualTo(5.5);
            assertThat(w.target("unknown")).isNull();
            // another tensor is copied (and converted) into the buffer as before
            Tensor own = Tensor.allocate(DType.F64, Shape.of(4));
            own.setDouble(3, 1.0 / 3);
            w.accept("b", own);
            assertThat(w.tensor("b").getDouble(3)).isEqualTo((double) (float) (1.0 / 3));
            assertThat(w.tensor("b").data().address()).isEqualTo(w.target("b").data().address());
        }
    }
}
