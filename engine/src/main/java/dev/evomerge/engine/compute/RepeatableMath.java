package dev.evomerge.engine.compute;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * e^x and lane sums whose bits do not depend on how the JVM runs the code. The Vector API's own
 * {@code lanewise(EXP)} is Math.exp per lane until C2 compiles the caller and a vector math library after, which
 * differ in about 1 % of the lanes (by an ulp), and {@code reduceLanes(ADD)} may add the lanes in another order once
 * compiled. A forward pass through them gave a document a different log-likelihood depending on which of its windows
 * ran before C2 had compiled the softmax (seen in CI: 1.4e-5 apart on -296). Here every step is an IEEE operation
 * with one defined result (add, multiply, fused multiply-add, bit moves), so the interpreter, C1, C2 and the scalar
 * form below agree bit for bit, and a value's exponential does not depend on whether it sits in a vector or a tail.
 */
public final class RepeatableMath {

    private static final VectorSpecies<Float> F = Simd.F;
    private static final int L = Simd.LANES;

    /** 1.5 * 2^23: x + this rounds x to an integer held in the low bits of the sum's mantissa. */
    private static final float ROUNDER = 12582912f;
    private static final int ROUNDER_BITS = Float.floatToRawIntBits(ROUNDER);
    private static final float LOG2E = 1.44269504088896341f;
    /** ln 2 split in two so that n * LN2_HI is exact for the n in range and r = x - n ln 2 keeps its low bits. */
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    /** e^x overflows above about 88.72 and is below half the smallest subnormal under about -103.97. */
    private static final float MAX_ARG = 89f;
    private static final float MIN_ARG = -104f;
    /** Taylor coefficients 1/k! for k = 7..2: |r| <= ln2/2 leaves a truncation error near 0.05 ulp. */
    private static final float C7 = 1.98412698e-4f;
    private static final float C6 = 1.38888889e-3f;
    private static final float C5 = 8.33333333e-3f;
    private static final float C4 = 4.16666667e-2f;
    private static final float C3 = 1.66666667e-1f;
    private static final float C2 = 0.5f;

    private RepeatableMath() {
    }

    /**
     * e^x for each lane, within 2 ulp of the exact value; overflow gives infinity, underflow rounds to 0 or a
     * subnormal once, NaN stays NaN. Same bits as {@link #exp(float)} of each lane.
     */
    public static FloatVector exp(FloatVector x) {
        FloatVector c = x.max(MIN_ARG).min(MAX_ARG);
        FloatVector t = c.fma(LOG2E, ROUNDER);
        FloatVector n = t.sub(ROUNDER);
        FloatVector minusN = n.neg();
        FloatVector r = minusN.fma(all(LN2_HI), c);
        r = minusN.fma(all(LN2_LO), r);
        FloatVector p = r.fma(C7, C6);
        p = p.fma(r, all(C5));
        p = p.fma(r, all(C4));
        p = p.fma(r, all(C3));
        p = p.fma(r, all(C2));
        p = p.fma(r, all(1f));
        p = p.fma(r, all(1f));
        // 2^n as two normal powers of two (n is in [-150, 128]) so a subnormal result is rounded once, at the end
        IntVector ni = t.reinterpretAsInts().sub(ROUNDER_BITS);
        IntVector n1 = ni.lanewise(VectorOperators.ASHR, 1);
        IntVector n2 = ni.sub(n1);
        FloatVector s1 = n1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector s2 = n2.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return p.mul(s1).mul(s2);
    }

    private static FloatVector all(float c) {
        return FloatVector.broadcast(F, c);
    }

    /** e^x: the operations of {@link #exp(FloatVector)} on one value. */
    public static float exp(float x) {
        float c = Math.min(Math.max(x, MIN_ARG), MAX_ARG);
        float t = Math.fma(c, LOG2E, ROUNDER);
        float n = t - ROUNDER;
        float r = Math.fma(-n, LN2_HI, c);
        r = Math.fma(-n, LN2_LO, r);
        float p = Math.fma(r, C7, C6);
        p = Math.fma(p, r, C5);
        p = Math.fma(p, r, C4);
        p = Math.fma(p, r, C3);
        p = Math.fma(p, r, C2);
        p = Math.fma(p, r, 1f);
        p = Math.fma(p, r, 1f);
        int ni = Float.floatToRawIntBits(t) - ROUNDER_BITS;
        int n1 = ni >> 1;
        int n2 = ni - n1;
        return p * Float.intBitsToFloat((n1 + 127) << 23) * Float.intBitsToFloat((n2 + 127) << 23);
    }

    /** The sum of the lanes, added in lane order (lane 0 first). */
    public static float sum(FloatVector v) {
        float s = v.lane(0);
        for (int i = 1; i < L; i++) {
            s += v.lane(i);
        }
        return s;
    }
}
