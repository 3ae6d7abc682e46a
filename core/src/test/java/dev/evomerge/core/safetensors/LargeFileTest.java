package dev.evomerge.core.safetensors;

import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.Shape;
import dev.evomerge.core.tensor.Tensor;
import dev.evomerge.core.tensor.TensorInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** Mapping beyond 2 GB, with a sparse file so the test costs no disk space or write time. */
class LargeFileTest {

    @TempDir
    Path tmp;

    @Test
    void readsATensorStoredBeyondTwoGigabytes() throws Exception {
        long padBytes = (1L << 31) + 16; // the U8 "pad" tensor pushes "x" past 2^31
        String header = "{\"pad\":{\"dtype\":\"U8\",\"shape\":[" + padBytes + "],\"data_offsets\":[0," + padBytes
                + "]},\"x\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[" + padBytes + "," + (padBytes + 16)
                + "]}}";
        byte[] h = header.getBytes(StandardCharsets.US_ASCII);
        long dataStart = 8 + h.length;
        Path file = tmp.resolve("big.safetensors");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.write(RawSafetensors.le64(h.length));
            raf.write(h);
            raf.setLength(dataStart + padBytes + 16); // sparse: never-written blocks read as zeros
            raf.seek(dataStart + padBytes);
            raf.write(RawSafetensors.f32(1.5f, -2.0f, 3.25f, 1024.0f));
            raf.seek(dataStart + (1L << 31) + 3);
            raf.write(0x5A);
        }
        try (SafetensorsModel m = SafetensorsModel.open(file)) {
            assertThat(m.tensorNames()).containsExactly("pad", "x");
            assertThat(m.info("pad")).contains(new TensorInfo("pad", DType.U8, Shape.of(padBytes)));
            Tensor x = m.tensor("x");
            assertThat(m.fileOf("x").orElseThrow().fileOffset("x")).isEqualTo(dataStart + padBytes)
                    .isGreaterThan(Integer.MAX_VALUE);
            assertThat(new double[] {x.getDouble(0), x.getDouble(1), x.getDouble(2), x.getDouble(3)})
                    .containsExactly(1.5, -2.0, 3.25, 1024.0);
            Tensor pad = m.tensor("pad");
            assertThat(pad.byteSize()).isEqualTo(padBytes);
            assertThat(pad.getDouble((1L << 31) + 3)).isEqualTo(0x5A);
            assertThat(pad.getDouble((1L << 31) + 2)).isZero();
            assertThat(pad.getDouble(0)).isZero();
        }
    }
}
