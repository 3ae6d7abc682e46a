package dev.evomerge.core.safetensors;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.Shape;
import dev.evomerge.core.tensor.Tensor;
import dev.evomerge.core.tensor.TensorInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SafetensorsWriterTest {

    @TempDir
    Path tmp;

    private static Tensor bytesTensor(DType dtype, Shape shape, byte[] raw) {
        Tensor t = Tensor.allocate(dtype, shape);
        MemorySegment.copy(MemorySegment.ofArray(raw), 0, t.data(), 0, raw.length);
        return t;
    }

    private static byte[] bytesOf(Tensor t) {
        return t.data().toArray(ValueLayout.JAVA_BYTE);
    }

    /** Each dtype with the little-endian encoding of one value and that value, derived from the formats by hand. */
    static Stream<Arguments> dtypeSamples() {
        return Stream.of(
                Arguments.of(DType.F64, "000000000000f83f", 1.5),
                Arguments.of(DType.F32, "0000c03f", 1.5),
                Arguments.of(DType.F16, "003e", 1.5),
                Arguments.of(DType.BF16, "c03f", 1.5),
                Arguments.of(DType.I64, "feffffffffffffff", -2.0),
                Arguments.of(DType.I32, "feffffff", -2.0),
                Arguments.of(DType.I16, "feff", -2.0),
                Arguments.of(DType.I8, "fe", -2.0),
                Arguments.of(DType.U8, "fe", 254.0),
                Arguments.of(DType.BOOL, "01", 1.0));
    }

    @ParameterizedTest
    @MethodSource("dtypeSamples")
    void roundTripsEveryDtypeBitExactly(DType dtype, String firstElementHex, double firstValue) {
        Shape shape = Shape.of(2, 3);
        int n = 6 * dtype.byteSize();
        byte[] raw = new byte[n];
        for (int i = 0; i < n; i++) {
            raw[i] = (byte) (dtype == DType.BOOL ? i & 1 : i * 37 + 11);
        }
        byte[] first = HexFormat.of().parseHex(firstElementHex);
        System.arraycopy(first, 0, raw, 0, first.length);
        Path file = tmp.resolve("x.safetensors");
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("t", bytesTensor(dtype, shape, raw));
        SafetensorsWriter.writeFile(file, tensors);

        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertThat(f.tensorNames()).containsExactly("t");
            assertThat(f.info("t")).contains(new TensorInfo("t", dtype, shape));
            Tensor t = f.tensor("t");
            assertThat(t.dtype()).isEqualTo(dtype);
            assertThat(t.shape()).isEqualTo(shape);
            assertThat(bytesOf(t)).isEqualTo(raw);
            assertThat(t.getDouble(0)).isEqualTo(firstValue);
            assertThat(f.metadata()).isEqualTo(Map.of("format", "pt"));
            // Data starts 8-byte aligned in our files.
            assertThat(f.fileOffset("t") % 8).isZero();
        }
    }

    @Test
    void writesExactlyTheExpectedBytes() {
        Tensor a = bytesTensor(DType.F32, Shape.of(2), HexFormat.of().parseHex("0000803f000000c0")); // 1.0, -2.0
        Tensor b = bytesTensor(DType.BF16, Shape.of(1, 2), HexFormat.of().parseHex("803f00bf")); // 1.0, -0.5
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("a", a);
        tensors.put("b", b);
        Path file = tmp.resolve("small.safetensors");
        SafetensorsWriter.writeFile(file, tensors);

        // 142 bytes of JSON, padded with 2 spaces to 144 = 0x90 so that the data starts at 152, a multiple of 8.
        String header = "{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"BF16\",\"shape\":[1,2],\"data_offsets\":[8,12]}}  ";
        byte[] expected = concat(HexFormat.of().parseHex("9000000000000000"),
                header.getBytes(StandardCharsets.US_ASCII),
                HexFormat.of().parseHex("0000803f000000c0803f00bf"));
        assertThat(RawSafetensors.read(file)).isEqualTo(expected);
        assertThat(tmp.toFile().list()).containsExactly("small.safetensors");
    }

    private static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] out = new byte[n];
        int o = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, o, p.length);
            o += p.length;
        }
        return out;
    }

    @Test
    void convertsToThePlannedDtype() {
        Path dir = tmp.resolve("out");
        List<TensorInfo> plan = List.of(new TensorInfo("w", DType.BF16, Shape.of(3)),
                new TensorInfo("i", DType.F32, Shape.of(2)));
        try (SafetensorsWriter w = SafetensorsWriter.create(dir, plan, 0)) {
            // 0.1f = 0x3DCCCCCD: the dropped half 0xCCCD is above the tie, so bf16 rounds up to 0x3DCD.
            // 1 + 2^-8 + 2^-9 = 0x3F80C000: above the tie too, so it rounds up to 0x3F81.
            Tensor f = bytesTensor(DType.F32, Shape.of(3), RawSafetensors.f32(0.1f, -3.0f, 1.005859375f));
            w.accept("w", f);
            Tensor ints = Tensor.allocate(DType.I32, Shape.of(2));
            ints.setDouble(0, -7);
            ints.setDouble(1, 1 << 20);
            w.accept("i", ints);
            w.commit();
        }
        try (SafetensorsFile f = SafetensorsFile.open(dir.resolve("model.safetensors"))) {
            assertThat(bytesOf(f.tensor("w"))).isEqualTo(HexFormat.of().parseHex("cd3d40c0813f"));
            assertThat(bytesOf(f.tensor("i"))).isEqualTo(RawSafetensors.f32(-7f, 1048576f));
        }
        assertThat(dir.resolve(ShardIndex.FILE_NAME)).doesNotExist();
    }

    @Test
    void rejectsAShapeDifferentFromThePlanNamingTheTensor() {
        List<TensorInfo> plan = List.of(new TensorInfo("model.layers.0.w", DType.F32, Shape.of(2, 3)));
        try (SafetensorsWriter w = SafetensorsWriter.create(tmp.resolve("o"), plan, 0)) {
            Tensor t = Tensor.allocate(DType.F32, Shape.of(3, 2));
            assertThatThrownBy(() -> w.accept("model.layers.0.w", t))
                    .isInstanceOf(EvomergeException.class)
                    .hasMessageContaining("'model.layers.0.w'")
                    .hasMessageContaining("[3, 2]")
                    .hasMessageContaining("[2, 3]");
        }
    }

    @Test
    void rejectsUnknownNamesDoubleWritesAndDuplicatePlans() {
        List<TensorInfo> plan = List.of(new TensorInfo("a", DType.F32, Shape.of(1)));
        try (SafetensorsWriter w = SafetensorsWriter.create(tmp.resolve("o"), plan, 0)) {
            Tensor t = Tensor.allocate(DType.F32, Shape.of(1));
            assertThatThrownBy(() -> w.accept("b", t)).isInstanceOf(EvomergeException.class)
                    .hasMessageContaining("'b'").hasMessageContaining("not in the output plan");
            w.accept("a", t);
            assertThatThrownBy(() -> w.accept("a", t)).isInstanceOf(EvomergeException.class)
                    .hasMessageContaining("'a'").hasMessageContaining("twice");
        }
        List<TensorInfo> dup = List.of(new TensorInfo("a", DType.F32, Shape.of(1)),
                new TensorInfo("a", DType.F16, Shape.of(1)));
        assertThatThrownBy(() -> SafetensorsWriter.create(tmp.resolve("d"), dup, 0))
                .isInstanceOf(EvomergeException.class).hasMessageContaining("'a'").hasMessageContaining("twice");
        List<TensorInfo> reserved = List.of(new TensorInfo("__metadata__", DType.F32, Shape.of(1)));
        assertThatThrownBy(() -> SafetensorsWriter.create(tmp.resolve("r"), reserved, 0))
                .isInstanceOf(EvomergeException.class).hasMessageContaining("__metadata__");
    }

    @Test
    void commitNamesTheFirstMissingTensorAndCloseLeavesNoFiles() throws IOException {
        Path dir = tmp.resolve("o");
        List<TensorInfo> plan = List.of(new TensorInfo("a", DType.F32, Shape.of(4)),
                new TensorInfo("b", DType.F32, Shape.of(4)), new TensorInfo("c", DType.F32, Shape.of(4)));
        try (SafetensorsWriter w = SafetensorsWriter.create(dir, plan, 20)) {
            w.accept("a", Tensor.allocate(DType.F32, Shape.of(4)));
            w.accept("c", Tensor.allocate(DType.F32, Shape.of(4)));
            assertThat(w.complete()).isFalse();
            // The partial files exist while writing, under hidden names.
            try (Stream<Path> s = Files.list(dir)) {
                assertThat(s.map(p -> p.getFileName().toString()).sorted().toList()).containsExactly(
                        ".model-00001-of-00003.safetensors.partial", ".model-00002-of-00003.safetensors.partial",
                        ".model-00003-of-00003.safetensors.partial");
            }
            assertThatThrownBy(w::commit).isInstanceOf(EvomergeException.class)
                    .hasMessageContaining("'b'").hasMessageContaining("never written");
        }
        try (Stream<Path> s = Files.list(dir)) {
            assertThat(s.toList()).isEmpty();
        }
    }

    @Test
    void targetBuffersLandLikeAcceptedTensorsAndAreReusedForTheSameSize() throws IOException {
        List<TensorInfo> plan = List.of(new TensorInfo("a", DType.BF16, Shape.of(4, 8)),
                new TensorInfo("b", DType.BF16, Shape.of(8, 4)), new TensorInfo("c", DType.F32, Shape.of(3)));
        Path viaTargets = tmp.resolve("targets");
        Path viaCopies = tmp.resolve("copies");
        try (SafetensorsWriter w = SafetensorsWriter.create(viaTargets, plan, 0)) {
            assertThat(w.target("unknown")).isNull();
            Tensor a = w.target("a");
            assertThat(a.dtype()).isEqualTo(DType.BF16);
            assertThat(a.shape()).isEqualTo(Shape.of(4, 8));
            fill(a, 1);
            long aAddress = a.data().address();
            w.accept("a", a);
            assertThat(w.target("a")).as("already written").isNull();
            // same byte size: the buffer "a" was written from comes back (its old contents are overwritten below)
            Tensor b = w.target("b");
            assertThat(b.data().address()).isEqualTo(aAddress);
            fill(b, 2);
            w.accept("b", b);
            // a target that is not used: the producer's own tensor is written instead
            Tensor unused = w.target("c");
            assertThat(unused).isNotNull();
            Tensor c = Tensor.allocate(DType.F32, Shape.of(3));
            fill(c, 3);
            w.accept("c", c);
            w.commit();
        }
        try (SafetensorsWriter w = SafetensorsWriter.create(viaCopies, plan, 0)) {
            for (TensorInfo t : plan) {
                Tensor own = Tensor.allocate(t.dtype(), t.shape());
                fill(own, 1 + plan.indexOf(t));
                w.accept(t.name(), own);
            }
            w.commit();
        }
        assertThat(Files.readAllBytes(viaTargets.resolve("model.safetensors")))
                .isEqualTo(Files.readAllBytes(viaCopies.resolve("model.safetensors")));
        try (SafetensorsModel m = SafetensorsModel.open(viaTargets)) {
            assertThat(m.tensor("b").getDouble(31)).isEqualTo(2 * 100 + 31);
            assertThat(m.tensor("c").getDouble(2)).isEqualTo(3 * 100 + 2);
        }
    }

    @Test
    void aLaterWriterReusesTheIdleBuffersOfAnEarlierOneAndWritesItsOwnValues() throws IOException {
        // an odd size no other test uses, so that the buffer found idle is the one the first writer gave back
        List<TensorInfo> plan = List.of(new TensorInfo("w", DType.BF16, Shape.of(7, 13)));
        long address;
        try (SafetensorsWriter w = SafetensorsWriter.create(tmp.resolve("first"), plan, 0)) {
            Tensor t = w.target("w");
            address = t.data().address();
            fill(t, 1);
            w.accept("w", t);
            w.commit();
        }
        try (SafetensorsWriter w = SafetensorsWriter.create(tmp.resolve("second"), plan, 0)) {
            Tensor t = w.target("w");
            assertThat(t.data().address()).as("the first writer's buffer, not fresh memory").isEqualTo(address);
            fill(t, 5);
            w.accept("w", t);
            w.commit();
        }
        try (SafetensorsModel first = SafetensorsModel.open(tmp.resolve("first"));
             SafetensorsModel second = SafetensorsModel.open(tmp.resolve("second"))) {
            assertThat(first.tensor("w").getDouble(20)).isEqualTo(100 + 20);
            assertThat(second.tensor("w").getDouble(20)).isEqualTo(500 + 20);
        }
    }

    @Test
    void closingWithLentTargetsLeavesNoFiles() throws IOException {
        Path dir = tmp.resolve("lent");
        List<TensorInfo> plan = List.of(new TensorInfo("a", DType.F32, Shape.of(16)),
                new TensorInfo("b", DType.F32, Shape.of(16)));
        try (SafetensorsWriter w = SafetensorsWriter.create(dir, plan, 0)) {
            Tensor a = w.target("a");
            fill(a, 1);
            w.accept("a", a);
            fill(w.target("b"), 2); // never accepted: the producer failed
            assertThat(w.target("b")).as("a second request for the same tensor").isNotNull();
        }
        try (Stream<Path> s = Files.list(dir)) {
            assertThat(s.toList()).isEmpty();
        }
    }

    /** Element i = 100 * k + i (exact in bf16 for the sizes used here). */
    private static void fill(Tensor t, int k) {
        for (int i = 0; i < t.numel(); i++) {
            t.setDouble(i, 100 * k + i);
        }
    }

    @Test
    void refusesToOverwriteAnExistingModel() {
        Path dir = tmp.resolve("o");
        List<TensorInfo> plan = List.of(new TensorInfo("a", DType.U8, Shape.of(1)));
        try (SafetensorsWriter w = SafetensorsWriter.create(dir, plan, 0)) {
            w.accept("a", Tensor.allocate(DType.U8, Shape.of(1)));
            w.commit();
        }
        assertThatThrownBy(() -> SafetensorsWriter.create(dir, plan, 0))
                .isInstanceOf(EvomergeException.class).hasMessageContaining("model.safetensors")
                .hasMessageContaining("already exists");
        assertThat(dir.resolve(".model.safetensors.partial")).doesNotExist();
    }

    @Test
    void parallelWritesOfDistinctTensorsAllLand() throws Exception {
        Path dir = tmp.resolve("par");
        int count = 64;
        List<TensorInfo> plan = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            plan.add(new TensorInfo("t" + i, i % 2 == 0 ? DType.F32 : DType.BF16, Shape.of(8, 16)));
        }
        try (SafetensorsWriter w = SafetensorsWriter.create(dir, plan, 4096);
             ExecutorService pool = Executors.newFixedThreadPool(4)) {
            List<Future<?>> futures = new ArrayList<>();
            for (int i = count - 1; i >= 0; i--) {
                int k = i;
                futures.add(pool.submit(() -> {
                    Tensor src = Tensor.allocate(DType.F32, Shape.of(8, 16));
                    for (int e = 0; e < 128; e++) {
                        src.setDouble(e, k * 1000 + e);
                    }
                    w.accept("t" + k, src);
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
            assertThat(w.complete()).isTrue();
            w.commit();
        }
        try (SafetensorsModel m = SafetensorsModel.open(dir)) {
            assertThat(m.tensorNames()).containsExactlyElementsOf(plan.stream().map(TensorInfo::name).toList());
            for (int k = 0; k < count; k++) {
                Tensor t = m.tensor("t" + k);
                for (int e = 0; e < 128; e++) {
                    double v = k * 1000 + e;
                    // bf16 keeps 8 significant bits: compare with the value rounded through float -> bf16 rules.
                    double expected = k % 2 == 0 ? v : roundToBf16(v);
                    assertThat(t.getDouble(e)).as("t%d[%d]", k, e).isEqualTo(expected);
                }
            }
        }
    }

    /** Round-to-nearest-even to 8 significant bits, computed in double arithmetic (independent of FloatFormats). */
    private static double roundToBf16(double v) {
        if (v == 0) {
            return 0;
        }
        int exp = Math.getExponent(v);
        double ulp = Math.scalb(1.0, exp - 7);
        double q = v / ulp;
        double r = Math.rint(q); // rint rounds half to even
        return r * ulp;
    }
}
