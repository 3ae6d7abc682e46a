package dev.evomerge.core.tensor;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HexFormat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Reading and writing every safetensors dtype: byte layout (little-endian) and value semantics. */
class TensorElementsTest {

    private static String hex(Tensor t) {
        return HexFormat.of().formatHex(t.data().toArray(ValueLayout.JAVA_BYTE));
    }

    private static Tensor one(DType d) {
        return Tensor.allocate(d, Shape.of(1));
    }

    @ParameterizedTest(name = "{0} {1} -> {2}")
    @CsvSource({
        "F64, 1.5, 000000000000f83f",
        "F32, 1.0, 0000803f",
        "F32, -2.5, 000020c0",
        "F16, 1.0, 003c",
        "F16, -2.0, 00c0",
        "BF16, 1.0, 803f",
        "BF16, -3.0, 40c0",
        "I64, -2, feffffffffffffff",
        "I32, 16909060, 04030201", // 0x01020304
        "I16, -2, feff",
        "I8, -1, ff",
        "U8, 200, c8",
        "BOOL, 5, 01",
        "BOOL, 0, 00",
    })
    void storesLittleEndianBytes(DType dtype, double value, String bytes) {
        Tensor t = one(dtype);
        t.setDouble(0, value);
        assertThat(hex(t)).isEqualTo(bytes);
        assertThat(t.getDouble(0)).isEqualTo(dtype == DType.BOOL ? (value != 0 ? 1.0 : 0.0) : value);
    }

    @ParameterizedTest(name = "{0} {1} reads back as {2}")
    @CsvSource({
        "I8, 300.7, 44",            // truncate to 300, keep the low byte
        "I8, -129, 127",
        "U8, -1, 255",              // the byte 0xFF read unsigned
        "U8, 256, 0",
        "I16, -40000.9, 25536",     // -40000 wraps to 25536
        "I32, 3000000000, -1294967296",
        "I64, 1e30, 9223372036854775807", // beyond int64: saturates
        "I64, -7.9, -7",
        "I32, NaN, 0",
        "BOOL, NaN, 1",
        "BOOL, -0.0, 0",
    })
    void integerStoresTruncateThenWrap(DType dtype, double value, long expected) {
        Tensor t = one(dtype);
        t.setDouble(0, value);
        assertThat(t.getLong(0)).isEqualTo(expected);
    }

    @Test
    void int64IsExactThroughLong() {
        Tensor t = Tensor.allocate(DType.I64, Shape.of(2));
        t.setLong(0, (1L << 62) + 1);
        t.setLong(1, Long.MIN_VALUE);
        assertThat(t.getLong(0)).isEqualTo((1L << 62) + 1);
        assertThat(t.getLong(1)).isEqualTo(Long.MIN_VALUE);
    }

    @Test
    void largeIntegersRoundOnceToSixteenBitFloats() {
        // 2^60 + 2^52 + 1 is just above the bf16 tie 2^60 (1 + 2^-8); via double it would land on the tie (-> 0x5D80)
        Tensor b = one(DType.BF16);
        b.setLong(0, (1L << 60) + (1L << 52) + 1);
        assertThat(hex(b)).isEqualTo("815d"); // 0x5D81 = 2^60 (1 + 2^-7)
        b.setLong(0, -((1L << 60) + (1L << 52)));
        assertThat(hex(b)).isEqualTo("80dd"); // exact tie: even, 0xDD80
        b.setLong(0, Long.MIN_VALUE);
        assertThat(hex(b)).isEqualTo("00df"); // -2^63: exponent 63 + 127 = 190 -> 0xDF00
        Tensor h = one(DType.F16);
        h.setLong(0, 2049); // tie between 2048 (0x6800) and 2050 (0x6801)
        assertThat(hex(h)).isEqualTo("0068");
        h.setLong(0, 70000);
        assertThat(hex(h)).isEqualTo("007c");
        Tensor f = one(DType.F32);
        f.setLong(0, (1L << 40) + (1L << 16) + 1); // float keeps 24 bits: above the tie at 2^40 + 2^16 -> up
        assertThat(f.getFloat(0)).isEqualTo(0x1p40f + 0x1p17f);
    }

    @Test
    void integerTypesConvertExactlyAmongThemselves() {
        Tensor src = Tensor.allocate(DType.I64, Shape.of(4));
        long[] values = {Long.MAX_VALUE, -1, 255, 65537};
        for (int i = 0; i < values.length; i++) {
            src.setLong(i, values[i]);
        }
        Tensor i32 = Kernels.convert(src, DType.I32);
        assertThat(new long[] {i32.getLong(0), i32.getLong(1), i32.getLong(2), i32.getLong(3)})
                .containsExactly(-1, -1, 255, 65537);
        Tensor u8 = Kernels.convert(src, DType.U8);
        assertThat(new long[] {u8.getLong(0), u8.getLong(1), u8.getLong(2), u8.getLong(3)})
                .containsExactly(255, 255, 255, 1);
        Tensor bool = Kernels.convert(src, DType.BOOL);
        assertThat(hex(bool)).isEqualTo("01010101");
        Tensor back = Kernels.convert(Kernels.convert(src, DType.F64), DType.I64);
        assertThat(back.getLong(2)).isEqualTo(255);
    }

    @Test
    void floatTypesReadExactly() {
        Tensor h = Tensor.allocate(DType.F16, Shape.of(2));
        h.data().setAtIndex(ScalarAccess.SHORT, 0, (short) 0x0001);
        h.data().setAtIndex(ScalarAccess.SHORT, 1, (short) 0xFC00);
        assertThat(h.getFloat(0)).isEqualTo(0x1p-24f);
        assertThat(h.getDouble(1)).isEqualTo(Double.NEGATIVE_INFINITY);
        Tensor d = one(DType.F64);
        d.setDouble(0, 1 + 0x1p-8 + 0x1p-30);
        Tensor bf = Kernels.convert(d, DType.BF16); // single rounding from double
        assertThat(hex(bf)).isEqualTo("813f");
    }

    @Test
    void reshapeKeepsDataAndChecksSize() {
        Tensor t = Tensor.allocate(DType.F32, Shape.of(2, 3));
        t.setFloat(5, 7f);
        assertThat(t.reshape(Shape.of(3, 2)).getFloat(5)).isEqualTo(7f);
        assertThatThrownBy(() -> t.reshape(Shape.of(4)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("needs 16");
        assertThatThrownBy(() -> new Tensor(DType.BF16, Shape.of(3), MemorySegment.ofArray(new byte[5])))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
