package dev.evomerge.merge.method;

import dev.evomerge.core.tensor.FloatFormats;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * ties' normalize multiplies by the reciprocal of its divisor where {@link TiesStream#reciprocalIsExact} allows it:
 * the bf16 result must be the division's for every value that can reach it, and the guard must refuse divisors
 * where it is not.
 */
class TiesStreamReciprocalTest {

    /** The bf16 encoding of a float, as the kernels store it. */
    private static int bf16(float v) {
        return FloatFormats.floatToBf16(v) & 0xFFFF;
    }

    private static float value(int bf16) {
        return FloatFormats.bf16ToFloat((short) bf16);
    }

    /**
     * Every bf16 mv (zeros, subnormals, infinities and NaNs included) against 6000 bf16 divisors of both signs,
     * random across the normal range and at its ends: the bf16 rounding of mv · RN(1/d) is that of mv / d.
     */
    @Test
    void multiplyingByTheReciprocalRoundsAsDividingForEveryNormalDivisor() {
        SplittableRandom rnd = new SplittableRandom(7);
        float[] divisors = new float[6000];
        for (int i = 0; i < divisors.length - 6; i++) {
            float d = value(bf16((float) Math.scalb(1 + rnd.nextDouble(), rnd.nextInt(-126, 127))));
            divisors[i] = rnd.nextBoolean() ? d : -d;
        }
        int last = divisors.length;
        divisors[last - 6] = Float.MIN_NORMAL;
        divisors[last - 5] = value(0x00FF); // the largest significand at the smallest exponent
        divisors[last - 4] = 0x1p126f;
        divisors[last - 3] = value(0x7F7F); // the largest bf16: its reciprocal is subnormal
        divisors[last - 2] = -value(0x7F7F);
        divisors[last - 1] = -3f;
        long checked = 0;
        for (float d : divisors) {
            assertThat(Math.abs(d)).isBetween(Float.MIN_NORMAL, Float.MAX_VALUE);
            float r = 1f / d;
            for (int mv = 0; mv <= 0xFFFF; mv++) {
                int divided = bf16(value(mv) / d);
                int multiplied = bf16(value(mv) * r);
                if (divided != multiplied) {
                    assertThat(Integer.toHexString(multiplied)).as("%s / %s", value(mv), d)
                            .isEqualTo(Integer.toHexString(divided));
                }
                checked++;
            }
        }
        assertThat(checked).isEqualTo(6000L << 16);
    }

    /**
     * A subnormal divisor's reciprocal overflows, and finite quotients become infinite: the bf16 results differ, so
     * the test above would see a difference if its range reached there, and the guard must refuse such divisors.
     */
    @Test
    void aSubnormalDivisorBreaksIt() {
        SplittableRandom rnd = new SplittableRandom(5);
        int differing = 0;
        for (int i = 0; i < 100_000; i++) {
            float mv = value(rnd.nextInt(0x0C00, 0x7F00));
            float d = value(rnd.nextInt(0x0001, 0x0080));
            differing += bf16(mv / d) != bf16(mv * (1f / d)) ? 1 : 0;
        }
        assertThat(differing).isGreaterThan(1000);
    }

    /** The divisors are the rounded sums of the agreeing weights (1 where a sum is 0): each must be normal. */
    @Test
    void theGuardRefusesWeightsWhoseSumsAreNotNormal() {
        assertThat(TiesStream.reciprocalIsExact(0.6f, -0.35f)).isTrue();
        assertThat(TiesStream.reciprocalIsExact(0.5f, -0.5f)).isTrue(); // w0 + w1 = 0: divisor 1
        assertThat(TiesStream.reciprocalIsExact(0f, 0.4f)).isTrue(); // a zero weight alone: divisor 1
        assertThat(TiesStream.reciprocalIsExact(1e-39f, 0.4f)).isFalse(); // w0 alone is subnormal
        assertThat(TiesStream.reciprocalIsExact(0.4f, 1e-39f)).isFalse();
        assertThat(TiesStream.reciprocalIsExact(0x1p-126f, 0.4f)).isTrue();
        assertThat(TiesStream.reciprocalIsExact(3e38f, 3e38f)).isFalse(); // the sum overflows
    }
}
