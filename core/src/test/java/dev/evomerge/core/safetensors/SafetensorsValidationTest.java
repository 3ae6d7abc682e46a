package dev.evomerge.core.safetensors;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.Shape;
import dev.evomerge.core.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SafetensorsValidationTest {

    @TempDir
    Path tmp;

    private static final String T = "{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";

    private Path file(byte[] content) {
        return RawSafetensors.write(tmp.resolve("m.safetensors"), content);
    }

    private void assertRejected(byte[] content, String... fragments) {
        Path f = file(content);
        var assertion = assertThatThrownBy(() -> SafetensorsFile.open(f).close())
                .isInstanceOf(EvomergeException.class)
                .satisfies(e -> assertThat(((EvomergeException) e).kind()).isEqualTo(EvomergeException.Kind.USAGE))
                .hasMessageContaining(f.toString());
        for (String s : fragments) {
            assertion.hasMessageContaining(s);
        }
    }

    /** Header JSON, data length, and the words the error must contain (beyond the file name). */
    static Stream<Arguments> badHeaders() {
        return Stream.of(
                Arguments.of("{\"w\":", 0, new String[] {"malformed JSON"}),
                Arguments.of("[1,2]", 0, new String[] {"not a JSON object"}),
                Arguments.of("{} x", 0, new String[] {"malformed JSON"}),
                Arguments.of("{\"w\":" + T + ",\"w\":" + T + "}", 8, new String[] {"malformed JSON", "w"}),
                Arguments.of("{\"w\":5}", 0, new String[] {"'w'", "not a JSON object"}),
                Arguments.of("{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4, new String[] {"'w'", "dtype"}),
                Arguments.of("{\"w\":{\"dtype\":\"F8_E4M3\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1,
                        new String[] {"'w'", "F8_E4M3"}),
                Arguments.of("{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4,
                        new String[] {"'w'", "shape"}),
                Arguments.of("{\"w\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", 4,
                        new String[] {"'w'", "shape"}),
                Arguments.of("{\"w\":{\"dtype\":\"F32\",\"shape\":\"2\",\"data_offsets\":[0,8]}}", 8,
                        new String[] {"'w'", "shape"}),
                Arguments.of("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0]}}", 8,
                        new String[] {"'w'", "data_offsets"}),
                Arguments.of("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[-8,0]}}", 8,
                        new String[] {"'w'", "data_offsets"}),
                Arguments.of("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,99999999999999999999]}}", 8,
                        new String[] {"'w'", "data_offsets"}),
                Arguments.of("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4,
                        new String[] {"'w'", "8 bytes", "span 4"}),
                Arguments.of("{\"w\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,8]}}",
                        8, new String[] {"'w'", "overflows"}),
                Arguments.of("{\"w\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[8,4]}}", 8,
                        new String[] {"'w'", "end before"}),
                Arguments.of("{\"w\":" + T + "}", 4, new String[] {"'w'", "outside the data area"}),
                Arguments.of("{\"a\":" + T + ",\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12,
                        new String[] {"'b'", "overlapping", "'a'"}),
                Arguments.of("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                        + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 12,
                        new String[] {"'b'", "gap"}),
                Arguments.of("{\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8,
                        new String[] {"'b'", "gap"}),
                Arguments.of("{\"w\":" + T + "}", 12, new String[] {"cover 8 bytes of a 12-byte data area"}),
                Arguments.of("{\"__metadata__\":{\"k\":1}}", 0, new String[] {"__metadata__", "'k'"}),
                Arguments.of("{\"__metadata__\":[]}", 0, new String[] {"__metadata__"}));
    }

    @ParameterizedTest
    @MethodSource("badHeaders")
    void rejectsMalformedHeadersNamingFileAndTensor(String header, int dataLength, String[] fragments) {
        assertRejected(RawSafetensors.bytes(header, new byte[dataLength]), fragments);
    }

    @Test
    void rejectsFilesShorterThanTheLengthField() {
        for (int n = 0; n < 8; n++) {
            assertRejected(new byte[n], "fewer than the 8-byte");
        }
    }

    @Test
    void rejectsHeaderLengthsBeyondTheFileOrTheLimit() {
        byte[] header = "{}".getBytes(StandardCharsets.US_ASCII);
        assertRejected(RawSafetensors.bytes(3, header, new byte[0]), "runs past the end");
        assertRejected(RawSafetensors.bytes(100_000_001L, header, new byte[0]), "100 MB");
        assertRejected(RawSafetensors.bytes(-1L, header, new byte[0]), "18446744073709551615", "100 MB");
    }

    @Test
    void rejectsInvalidUtf8() {
        byte[] header = {'{', '"', (byte) 0xC3, '"', ':', '1', '}'};
        assertRejected(RawSafetensors.bytes(header.length, header, new byte[0]), "UTF-8");
    }

    @Test
    void acceptsUnpaddedHeadersZeroSizeTensorsAndNullMetadata() {
        // Header length 7 + 8: the F32 data starts at an odd offset; readers must not assume alignment.
        String header = "{\"__metadata__\":null,\"e\":{\"dtype\":\"F32\",\"shape\":[0,3],\"data_offsets\":[0,0]},"
                + "\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"extra\":true}}";
        Path f = file(RawSafetensors.bytes(header, RawSafetensors.f32(1.25f, -8f)));
        try (SafetensorsFile sf = SafetensorsFile.open(f)) {
            assertThat(sf.metadata()).isEmpty();
            assertThat(sf.tensorNames()).containsExactly("e", "w");
            assertThat(sf.tensor("e").numel()).isZero();
            Tensor w = sf.tensor("w");
            assertThat(w.getDouble(0)).isEqualTo(1.25);
            assertThat(w.getDouble(1)).isEqualTo(-8.0);
            assertThat(sf.fileOffset("w")).isEqualTo(8 + header.length());
        }
    }

    @Test
    void acceptsAnEmptyModel() {
        Path f = file(RawSafetensors.bytes("{}      ", new byte[0]));
        try (SafetensorsFile sf = SafetensorsFile.open(f)) {
            assertThat(sf.tensorNames()).isEmpty();
            assertThat(sf.metadata()).isEmpty();
        }
    }

    @Test
    void lookingUpAnAbsentTensorNamesTensorAndFile() {
        Path f = tmp.resolve("ok.safetensors");
        SafetensorsWriter.writeFile(f, Map.of("a", Tensor.allocate(DType.F32, Shape.of(1))));
        try (SafetensorsFile sf = SafetensorsFile.open(f)) {
            assertThat(sf.info("b")).isEmpty();
            assertThatThrownBy(() -> sf.tensor("b")).isInstanceOf(EvomergeException.class)
                    .hasMessageContaining("'b'").hasMessageContaining(f.toString());
        }
    }

    @Test
    void missingFilesAndDirectoriesAreUsageErrors() {
        assertThatThrownBy(() -> SafetensorsFile.open(tmp.resolve("none.safetensors")))
                .isInstanceOf(EvomergeException.class).hasMessageContaining("none.safetensors")
                .hasMessageContaining("does not exist");
        assertThatThrownBy(() -> SafetensorsFile.open(tmp)).isInstanceOf(EvomergeException.class)
                .hasMessageContaining("is a directory");
    }

    @Test
    void tensorsCannotBeReadAfterClose() {
        Path f = tmp.resolve("c.safetensors");
        SafetensorsWriter.writeFile(f, Map.of("a", Tensor.allocate(DType.F32, Shape.of(1))));
        Tensor t;
        try (SafetensorsFile sf = SafetensorsFile.open(f)) {
            t = sf.tensor("a");
            assertThat(t.getDouble(0)).isZero();
        }
        // Access after unmapping fails with an exception, never a crash.
        assertThatThrownBy(() -> t.getDouble(0)).isInstanceOf(IllegalStateException.class);
    }
}
