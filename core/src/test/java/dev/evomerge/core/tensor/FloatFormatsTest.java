package dev.evomerge.core.tensor;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.math.BigDecimal;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/** bf16/fp16 conversions against hand-computed bit patterns and independent (JDK, BigDecimal) references. */
class FloatFormatsTest {

    private static short bf16(float f) {
        return FloatFormats.floatToBf16(f);
    }

    private static int bf16Bits(int floatBits) {
        return FloatFormats.floatToBf16(Float.intBitsToFloat(floatBits)) & 0xFFFF;
    }

    private static int f16Bits(float f) {
        return FloatFormats.floatToF16(f) & 0xFFFF;
    }

    @ParameterizedTest(name = "float 0x{0} -> bf16 0x{1}")
    @CsvSource({
        "3F800000, 3F80", // 1.0
        "3F808000, 3F80", // exact tie, kept part even: stays
        "3F818000, 3F82", // exact tie, kept part odd: rounds up to even
        "3F808001, 3F81", // just above the tie
        "3F807FFF, 3F80", // just below the tie
        "BF808000, BF80", // negative tie
        "BF818000, BF82",
        "7F7FFFFF, 7F80", // largest float is past the last bf16 tie: infinity
        "7F7F7FFF, 7F7F",
        "7F7F8000, 7F80", // tie above the largest bf16 (odd): rounds to infinity
        "7F7E8000, 7F7E", // tie, even: stays
        "7F800000, 7F80", // +inf
        "FF800000, FF80", // -inf
        "7FC00000, 7FC0", // quiet NaN
        "FFC00000, FFC0", // negative quiet NaN
        "7F800001, 7FC0", // NaN with payload only in the dropped bits: still NaN (quiet bit forced)
        "FF800001, FFC0",
        "7FA00000, 7FE0", // signalling NaN: top payload kept, quiet bit set
        "00000000, 0000",
        "80000000, 8000", // -0.0
        "00010000, 0001", // smallest bf16 subnormal, exact
        "00008000, 0000", // half of it: tie to even zero
        "00018000, 0002", // 1.5 subnormal steps: tie to even 2
        "00000001, 0000", // smallest float subnormal underflows
        "807F8000, 8080", // tie at the top of the subnormals rounds into the smallest normal
    })
    void floatToBf16MatchesHandComputedBits(String in, String expected) {
        assertThat(bf16Bits(Integer.parseUnsignedInt(in, 16))).isEqualTo(Integer.parseInt(expected, 16));
    }

    @Test
    void bf16WideningIsTheTopHalfOfTheFloat() {
        assertThat(FloatFormats.bf16ToFloat((short) 0x3F80)).isEqualTo(1.0f);
        assertThat(FloatFormats.bf16ToFloat((short) 0xC040)).isEqualTo(-3.0f);
        assertThat(FloatFormats.bf16ToFloat((short) 0x0001)).isEqualTo(0x1p-133f);
        assertThat(FloatFormats.bf16ToFloat((short) 0x7F7F)).isEqualTo((2 - 0x1p-7f) * 0x1p127f);
        assertThat(FloatFormats.bf16ToFloat((short) 0xFF80)).isEqualTo(Float.NEGATIVE_INFINITY);
        assertThat(Float.floatToRawIntBits(FloatFormats.bf16ToFloat((short) 0x7FC1))).isEqualTo(0x7FC1_0000);
        assertThat(Float.floatToRawIntBits(FloatFormats.bf16ToFloat((short) 0x8000))).isEqualTo(0x8000_0000);
    }

    @Test
    void floatToF16MatchesHandComputedBits() {
        assertThat(f16Bits(1.0f)).isEqualTo(0x3C00);
        assertThat(f16Bits(-2.0f)).isEqualTo(0xC000);
        assertThat(f16Bits(0.1f)).isEqualTo(0x2E66); // 1.6 x 2^-4: exponent 11, mantissa 614.4 -> 614
        assertThat(f16Bits(65504f)).isEqualTo(0x7BFF); // largest finite
        assertThat(f16Bits(65505f)).isEqualTo(0x7BFF);
        assertThat(f16Bits(Math.nextDown(65520f))).isEqualTo(0x7BFF);
        assertThat(f16Bits(65520f)).isEqualTo(0x7C00); // tie above 65504 (odd mantissa): infinity
        assertThat(f16Bits(1e6f)).isEqualTo(0x7C00);
        assertThat(f16Bits(-65520f)).isEqualTo(0xFC00);
        assertThat(f16Bits(Float.POSITIVE_INFINITY)).isEqualTo(0x7C00);
        assertThat(f16Bits(Float.NEGATIVE_INFINITY)).isEqualTo(0xFC00);
        assertThat(f16Bits(0x1p15f)).isEqualTo(0x7800);
        assertThat(f16Bits(0x1p-14f)).isEqualTo(0x0400); // smallest normal
        assertThat(f16Bits(1023 * 0x1p-24f)).isEqualTo(0x03FF); // largest subnormal
        assertThat(f16Bits(2047 * 0x1p-25f)).isEqualTo(0x0400); // tie between 0x03FF and 0x0400: even
        assertThat(f16Bits(0x1p-24f)).isEqualTo(0x0001); // smallest subnormal
        assertThat(f16Bits(-0x1p-24f)).isEqualTo(0x8001);
        assertThat(f16Bits(0x1p-25f)).isEqualTo(0x0000); // halfway to the smallest subnormal: tie to even zero
        assertThat(f16Bits(Math.nextUp(0x1p-25f))).isEqualTo(0x0001);
        assertThat(f16Bits(Math.nextDown(0x1p-25f))).isEqualTo(0x0000);
        assertThat(f16Bits(3 * 0x1p-25f)).isEqualTo(0x0002); // tie between 1 and 2 subnormal steps
        assertThat(f16Bits(5 * 0x1p-25f)).isEqualTo(0x0002); // tie between 2 and 3
        assertThat(f16Bits(7 * 0x1p-25f)).isEqualTo(0x0004); // tie between 3 and 4
        assertThat(f16Bits(0x1p-26f)).isEqualTo(0x0000);
        assertThat(f16Bits(0.0f)).isEqualTo(0x0000);
        assertThat(f16Bits(-0.0f)).isEqualTo(0x8000);
        assertThat(f16Bits(1 + 0x1p-11f)).isEqualTo(0x3C00); // tie, even
        assertThat(f16Bits(1 + 3 * 0x1p-11f)).isEqualTo(0x3C02); // tie, odd: up
        assertThat(f16Bits(1 + 0x1p-11f + 0x1p-20f)).isEqualTo(0x3C01);
    }

    @Test
    void floatToF16KeepsNaNsNaN() {
        assertThat(f16Bits(Float.intBitsToFloat(0x7FC0_0000))).isEqualTo(0x7E00);
        assertThat(f16Bits(Float.intBitsToFloat(0xFFC0_0000))).isEqualTo(0xFE00);
        assertThat(f16Bits(Float.intBitsToFloat(0x7F80_0001))).isEqualTo(0x7E00); // payload below fp16 precision
        assertThat(f16Bits(Float.intBitsToFloat(0xFF80_2000))).isEqualTo(0xFE01);
        assertThat(f16Bits(Float.intBitsToFloat(0x7FFF_FFFF))).isEqualTo(0x7FFF);
    }

    @Test
    void f16WideningMatchesHandComputedValues() {
        assertThat(FloatFormats.f16ToFloat((short) 0x0001)).isEqualTo(0x1p-24f);
        assertThat(FloatFormats.f16ToFloat((short) 0x03FF)).isEqualTo(1023 * 0x1p-24f);
        assertThat(FloatFormats.f16ToFloat((short) 0x0400)).isEqualTo(0x1p-14f);
        assertThat(FloatFormats.f16ToFloat((short) 0x7BFF)).isEqualTo(65504f);
        assertThat(FloatFormats.f16ToFloat((short) 0x3555)).isEqualTo(0.333251953125f); // (1 + 341/1024) / 4
        assertThat(FloatFormats.f16ToFloat((short) 0xC000)).isEqualTo(-2.0f);
        assertThat(FloatFormats.f16ToFloat((short) 0x7C00)).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(FloatFormats.f16ToFloat((short) 0xFC00)).isEqualTo(Float.NEGATIVE_INFINITY);
        assertThat(Float.floatToRawIntBits(FloatFormats.f16ToFloat((short) 0x8000))).isEqualTo(0x8000_0000);
        assertThat(Float.floatToRawIntBits(FloatFormats.f16ToFloat((short) 0x7E00))).isEqualTo(0x7FC0_0000);
        assertThat(Float.floatToRawIntBits(FloatFormats.f16ToFloat((short) 0xFD01))).isEqualTo(0xFFA0_2000);
    }

    @Test
    void f16AgreesWithTheJdkOnEveryNonNaNValue() {
        for (int b = 0; b < 0x10000; b++) {
            short h = (short) b;
            float ours = FloatFormats.f16ToFloat(h);
            if (Float.isNaN(Float.float16ToFloat(h))) {
                assertThat(Float.isNaN(ours)).as("0x%04x", b).isTrue();
                continue;
            }
            assertThat(Float.floatToRawIntBits(ours)).as("0x%04x", b)
                    .isEqualTo(Float.floatToRawIntBits(Float.float16ToFloat(h)));
            // every fp16 value, and the floats on both sides of every rounding boundary, narrow like the JDK
            assertThat(FloatFormats.floatToF16(ours)).isEqualTo(Float.floatToFloat16(ours));
            if ((b & 0x7FFF) < 0x7C00) {
                float next = Float.float16ToFloat((short) (b + 1));
                float mid = (float) (((double) ours + next) / 2); // exact: fp16 midpoints are floats
                for (float f : new float[] {mid, Math.nextUp(mid), Math.nextDown(mid)}) {
                    assertThat(FloatFormats.floatToF16(f)).as("%s", f).isEqualTo(Float.floatToFloat16(f));
                }
            }
        }
        SplittableRandom random = new SplittableRandom(7);
        for (int k = 0; k < 1_000_000; k++) {
            float f = Float.intBitsToFloat(random.nextInt());
            if (!Float.isNaN(f) && FloatFormats.floatToF16(f) != Float.floatToFloat16(f)) {
                throw new AssertionError("floatToF16(" + f + ") = " + FloatFormats.floatToF16(f));
            }
        }
    }

    @Test
    void floatToBf16AgreesWithNearestNeighbourChoice() {
        SplittableRandom random = new SplittableRandom(11);
        for (int k = 0; k < 1_000_000; k++) {
            int bits = k % 2 == 0 ? random.nextInt() : (random.nextInt() & 0xFFFF_0000) | 0x8000; // half are ties
            float f = Float.intBitsToFloat(bits);
            if (!Float.isFinite(f)) {
                continue;
            }
            // the two bf16 candidates are the truncation and the next value away from zero; compare in double
            int lo = bits & 0xFFFF_0000;
            double vLo = Float.intBitsToFloat(lo);
            double vHi = Math.abs(vLo) == 0x1.fep127 ? Math.copySign(0x1p128, vLo) // IEEE overflow rule
                    : Float.intBitsToFloat(lo + 0x10000);
            double dLo = Math.abs(f - vLo);
            double dHi = Math.abs(vHi - f);
            int expected = dLo < dHi || (dLo == dHi && (lo & 0x10000) == 0) ? lo >>> 16 : (lo + 0x10000) >>> 16;
            if ((bf16(f) & 0xFFFF) != expected) { // (a plain check: AssertJ per value would dominate the run time)
                throw new AssertionError(String.format("0x%08x gives 0x%04x, expected 0x%04x", bits, bf16(f), expected));
            }
        }
    }

    @Test
    void doubleToSixteenBitRoundsOnceWhereFloatWouldLandOnATie() {
        // (float) d lands exactly on the bf16 tie 1 + 2^-8; d is above it, so the answer is 0x3F81, not 0x3F80
        double above = 1 + 0x1p-8 + 0x1p-30;
        assertThat(FloatFormats.floatToBf16((float) above)).isEqualTo((short) 0x3F80); // the double-rounding trap
        assertThat(FloatFormats.doubleToBf16(above)).isEqualTo((short) 0x3F81);
        assertThat(FloatFormats.doubleToBf16(1 + 0x1p-8 - 0x1p-30)).isEqualTo((short) 0x3F80);
        double below = 1 + 3 * 0x1p-8 - 0x1p-30; // float rounds up to the tie 0x3F818000, d is below it
        assertThat(FloatFormats.floatToBf16((float) below)).isEqualTo((short) 0x3F82);
        assertThat(FloatFormats.doubleToBf16(below)).isEqualTo((short) 0x3F81);
        assertThat(FloatFormats.doubleToBf16(-above)).isEqualTo((short) 0xBF81);
        // just below the bf16 overflow boundary (2 - 2^-8) x 2^127: finite, although (float) d is on the tie
        assertThat(FloatFormats.doubleToBf16((2 - 0x1p-8) * 0x1p127 - 0x1p90)).isEqualTo((short) 0x7F7F);
        assertThat(FloatFormats.doubleToBf16(1e300)).isEqualTo((short) 0x7F80);
        assertThat(FloatFormats.doubleToBf16(1e-300)).isEqualTo((short) 0x0000);
        assertThat(FloatFormats.doubleToBf16(-1e-300)).isEqualTo((short) 0x8000);

        double f16Above = 1 + 0x1p-11 + 0x1p-40;
        assertThat(FloatFormats.floatToF16((float) f16Above)).isEqualTo((short) 0x3C00);
        assertThat(FloatFormats.doubleToF16(f16Above)).isEqualTo((short) 0x3C01);
        assertThat(FloatFormats.doubleToF16(0x1p-25 + 0x1p-60)).isEqualTo((short) 0x0001); // float: exactly 2^-25
        assertThat(FloatFormats.doubleToF16(0x1p-25)).isEqualTo((short) 0x0000);
        assertThat(FloatFormats.doubleToF16(65520 - 0x1p-30)).isEqualTo((short) 0x7BFF); // float: exactly 65520
        assertThat(FloatFormats.doubleToF16(65520)).isEqualTo((short) 0x7C00);
        assertThat(FloatFormats.doubleToF16(Double.NEGATIVE_INFINITY)).isEqualTo((short) 0xFC00);
        assertThat(Float.isNaN(FloatFormats.f16ToFloat(FloatFormats.doubleToF16(Double.NaN)))).isTrue();
        double negativeNaN = Double.longBitsToDouble(0xFFF8_0000_0000_0000L); // (-Double.NaN is folded by javac)
        assertThat(Float.isNaN(FloatFormats.bf16ToFloat(FloatFormats.doubleToBf16(negativeNaN)))).isTrue();
        assertThat(FloatFormats.doubleToBf16(negativeNaN) & 0x8000).isEqualTo(0x8000);
        assertThat(FloatFormats.doubleToF16(negativeNaN) & 0xFE00).isEqualTo(0xFE00);
    }

    @Test
    void doubleToSixteenBitMatchesAnExactReferenceNearEveryKindOfBoundary() {
        SplittableRandom random = new SplittableRandom(3);
        for (int k = 0; k < 60_000; k++) {
            boolean bf = k % 2 == 0;
            int b = random.nextInt(bf ? 0x7F80 : 0x7C00); // a finite non-negative 16-bit value
            double v = bf ? FloatFormats.bf16ToFloat((short) b) : FloatFormats.f16ToFloat((short) b);
            double next = b + 1 == (bf ? 0x7F80 : 0x7C00) ? (bf ? 0x1p128 : 65536.0)
                    : bf ? FloatFormats.bf16ToFloat((short) (b + 1)) : FloatFormats.f16ToFloat((short) (b + 1));
            double mid = (v + next) / 2;
            // a point near the tie: on it, or off by a few units in the last place of the double, or random
            double d = switch (random.nextInt(4)) {
                case 0 -> mid;
                case 1 -> mid + Math.ulp(mid) * (1 + random.nextInt(1 << 20));
                case 2 -> mid - Math.ulp(mid) * (1 + random.nextInt(1 << 20));
                default -> v + (next - v) * random.nextDouble();
            };
            if (random.nextBoolean()) {
                d = -d;
            }
            int expected = exactNearest(d, bf);
            int actual = (bf ? FloatFormats.doubleToBf16(d) : FloatFormats.doubleToF16(d)) & 0xFFFF;
            assertThat(actual).as("%s %s", bf ? "bf16" : "f16", d).isEqualTo(expected);
        }
    }

    /** Nearest 16-bit value to d by exact decimal arithmetic, ties to even, infinity beyond the overflow point. */
    private static int exactNearest(double d, boolean bf) {
        int sign = d < 0 || (d == 0 && 1 / d < 0) ? 0x8000 : 0;
        BigDecimal target = new BigDecimal(Math.abs(d));
        int inf = bf ? 0x7F80 : 0x7C00;
        int lo = 0;
        int hi = inf;
        while (hi - lo > 1) { // largest value <= target by bisection over the ordered bit patterns
            int m = (lo + hi) >>> 1;
            if (value(m, bf).compareTo(target) <= 0) {
                lo = m;
            } else {
                hi = m;
            }
        }
        BigDecimal vLo = value(lo, bf);
        BigDecimal vHi = lo + 1 == inf ? new BigDecimal(bf ? 0x1p128 : 65536.0) : value(lo + 1, bf);
        int c = target.subtract(vLo).compareTo(vHi.subtract(target));
        int chosen = c < 0 || (c == 0 && (lo & 1) == 0) ? lo : lo + 1;
        return sign | chosen;
    }

    private static BigDecimal value(int bits, boolean bf) {
        float f = bf ? FloatFormats.bf16ToFloat((short) bits) : Float.float16ToFloat((short) bits);
        return new BigDecimal(f);
    }
}
