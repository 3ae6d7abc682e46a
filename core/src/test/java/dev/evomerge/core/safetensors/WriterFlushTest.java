package dev.evomerge.core.safetensors;

import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.FloatFormats;
import dev.evomerge.core.tensor.Shape;
import dev.evomerge.core.tensor.Tensor;
import dev.evomerge.core.tensor.TensorInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A write larger than the background-flush threshold (several pieces per tensor, a flush started while other
 * threads keep writing) produces exactly the planned bytes: an off-heap tensor in the planned dtype written as is,
 * a heap f32 tensor converted to bf16 piece by piece, from two threads at once.
 */
class WriterFlushTest {

    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Test
    void tensorsLargerThanTheFlushThresholdArriveIntact(@TempDir Path dir) {
        int n = 12 << 20; // 24 MiB of bf16 per tensor, 72 MiB in all: more than FLUSH_BYTES (64 MiB)
        assertThat(3L * 2 * n).isGreaterThan(SafetensorsWriter.FLUSH_BYTES);
        List<TensorInfo> plan = List.of(new TensorInfo("a", DType.BF16, Shape.of(n)),
                new TensorInfo("b", DType.BF16, Shape.of(n)), new TensorInfo("c", DType.BF16, Shape.of(n + 1)));
        Tensor a = Tensor.allocate(DType.BF16, Shape.of(n));
        Tensor b = Tensor.allocate(DType.BF16, Shape.of(n));
        for (int i = 0; i < n; i++) {
            a.data().set(I16, 2L * i, (short) i);
            b.data().set(I16, 2L * i, (short) (i * 31 + 7));
        }
        // heap f32 values k + (i mod 4)/512 with k = i mod 100 (so i mod 4 = k mod 4, and k = 0 gets no offset): the
        // offset is below half a bf16 ulp of k for every k in 1..99 (half an ulp of 1 is 1/256), so each rounds to k
        MemorySegment heap = MemorySegment.ofArray(new float[n + 1]);
        for (int i = 0; i <= n; i++) {
            heap.set(F32, 4L * i, (i % 100) + (i % 4) / 512f);
        }
        Tensor c = new Tensor(DType.F32, Shape.of(n + 1), heap);
        try (SafetensorsWriter w = SafetensorsWriter.create(dir, plan, 0)) {
            IntStream.range(0, 3).parallel().forEach(k -> w.accept(List.of("a", "b", "c").get(k),
                    List.of(a, b, c).get(k)));
            w.commit();
        }
        assertThat(dir.resolve("model.safetensors")).exists();
        assertThat(dir.resolve(".model.safetensors.partial")).doesNotExist();
        try (SafetensorsModel m = SafetensorsModel.open(dir)) {
            MemorySegment ra = m.tensor("a").data();
            MemorySegment rb = m.tensor("b").data();
            MemorySegment rc = m.tensor("c").data();
            for (int i = 0; i < n; i += 997) {
                assertThat(ra.get(I16, 2L * i)).isEqualTo((short) i);
                assertThat(rb.get(I16, 2L * i)).isEqualTo((short) (i * 31 + 7));
            }
            for (int i = 0; i <= n; i += 991) {
                assertThat(FloatFormats.bf16ToFloat(rc.get(I16, 2L * i))).isEqualTo((float) (i % 100));
            }
            assertThat(FloatFormats.bf16ToFloat(rc.get(I16, 2L * n))).isEqualTo((float) (n % 100));
        }
        assertThat(Files.exists(dir.resolve("model.safetensors.index.json"))).isFalse();
    }
}
