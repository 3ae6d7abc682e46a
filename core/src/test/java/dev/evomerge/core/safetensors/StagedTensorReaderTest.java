package dev.evomerge.core.safetensors;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.Kernels;
import dev.evomerge.core.tensor.Shape;
import dev.evomerge.core.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Tensors read through the reused buffer hold the file's bytes, whichever model and shard they come from. */
class StagedTensorReaderTest {

    private static Tensor random(int rows, int cols, DType dtype, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return Kernels.fromFloatArray(v, Shape.of(rows, cols), dtype);
    }

    private static Map<String, Tensor> tensors(long seed) {
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("a.weight", random(64, 48, DType.BF16, seed));
        t.put("b.weight", random(8, 16, DType.F32, seed + 1));
        t.put("c.weight", random(300, 40, DType.BF16, seed + 2)); // larger than the buffer below
        return t;
    }

    @Test
    void everyTensorHoldsTheFilesBytesAndTheLargeOneComesFromTheMapping(@TempDir Path dir) {
        StagedTensorReader reader = new StagedTensorReader(16 * 1024);
        for (long seed : new long[]{1, 2}) {
            Path model = dir.resolve("m" + seed);
            SafetensorsWriter.writeFile(model.resolve(SafetensorsModel.SINGLE_FILE_NAME), tensors(seed));
            try (SafetensorsModel m = SafetensorsModel.open(model); StagedTensorReader.Session s = reader.open(m)) {
                Long previous = null; // the buffer's address
                for (String name : m.tensorNames()) {
                    Tensor expected = m.tensor(name);
                    Tensor got = s.tensor(name);
                    assertThat(got.dtype()).isEqualTo(expected.dtype());
                    assertThat(got.shape()).isEqualTo(expected.shape());
                    assertThat(got.data().mismatch(expected.data())).as(name).isEqualTo(-1L);
                    boolean mapped = got.data().address() == expected.data().address();
                    assertThat(mapped).as(name + " read through the mapping")
                            .isEqualTo(expected.data().byteSize() > 16 * 1024);
                    if (!mapped && previous != null) {
                        assertThat(got.data().address()).as("the buffer is reused").isEqualTo(previous);
                    }
                    if (!mapped) {
                        previous = got.data().address();
                    }
                }
            }
        }
    }

    @Test
    void aFileCutShortAfterOpeningFailsNamingTheFileAndTensor(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("m").resolve(SafetensorsModel.SINGLE_FILE_NAME);
        SafetensorsWriter.writeFile(file, tensors(3));
        try (SafetensorsModel m = SafetensorsModel.open(file.getParent());
             StagedTensorReader.Session s = new StagedTensorReader().open(m)) {
            String last = m.tensorNames().getLast();
            long end = m.fileOf(last).orElseThrow().fileOffset(last);
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                ch.truncate(end); // the last tensor's bytes are gone (a writer that died)
            }
            assertThatThrownBy(() -> s.tensor(last)).isInstanceOf(EvomergeException.class)
                    .hasMessage("Cannot read tensor '" + last + "' of " + file + ": the file ends before tensor '"
                            + last + "' does");
        }
    }
}
