package dev.evomerge.engine.compute;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vectorized row operations of the forward pass (norms, activations, softmax pieces). Exponentials and lane sums go
 * through {@link RepeatableMath}, so a row's result has the same bits whether the JIT has compiled these loops yet.
 */
public final class VectorMath {

    private static final VectorSpecies<Float> F = Simd.F;
    private static final int L = Simd.LANES;

    private VectorMath() {
    }

    /** dst[d..d+n) = x[x0..x0+n) / rms(x) * w[0..n) with rms = sqrt(mean(x²) + eps). */
    public static void rmsNorm(float[] x, int x0, float[] w, int n, float eps, float[] dst, int d0) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        int upper = F.loopBound(n);
        for (; i < upper; i += L) {
            FloatVector v = FloatVector.fromArray(F, x, x0 + i);
            acc = v.fma(v, acc);
        }
        float ss = RepeatableMath.sum(acc);
        for (; i < n; i++) {
            ss += x[x0 + i] * x[x0 + i];
        }
        float scale = (float) (1.0 / Math.sqrt(ss / n + eps));
        i = 0;
        for (; i < upper; i += L) {
            FloatVector.fromArray(F, x, x0 + i).mul(scale).mul(FloatVector.fromArray(F, w, i)).intoArray(dst, d0 + i);
        }
        for (; i < n; i++) {
            dst[d0 + i] = x[x0 + i] * scale * w[i];
        }
    }

    /** dst[d0+i] = silu(gate[g0+i]) * up[u0+i] for i &lt; n, silu(g) = g / (1 + e^-g). */
    public static void siluMul(float[] gate, int g0, float[] up, int u0, int n, float[] dst, int d0) {
        int i = 0;
        int upper = F.loopBound(n);
        for (; i < upper; i += L) {
            FloatVector g = FloatVector.fromArray(F, gate, g0 + i);
            FloatVector s = g.div(RepeatableMath.exp(g.neg()).add(1f));
            s.mul(FloatVector.fromArray(F, up, u0 + i)).intoArray(dst, d0 + i);
        }
        for (; i < n; i++) {
            float g = gate[g0 + i];
            dst[d0 + i] = g / (RepeatableMath.exp(-g) + 1f) * up[u0 + i];
        }
    }

    /** Maximum of x[from..to). */
    public static float max(float[] x, int from, int to) {
        float m = Float.NEGATIVE_INFINITY;
        int i = from;
        int n = to - from;
        if (n >= L) {
            FloatVector acc = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
            int upper = from + F.loopBound(n);
            for (; i < upper; i += L) {
                acc = acc.max(FloatVector.fromArray(F, x, i));
            }
            m = acc.reduceLanes(VectorOperators.MAX);
        }
        for (; i < to; i++) {
            m = Math.max(m, x[i]);
        }
        return m;
    }

    /** x[i] = exp(x[i] - shift) for i in [from, to); returns the sum of the new values. */
    public static float expInPlace(float[] x, int from, int to, float shift) {
        FloatVector acc = FloatVector.zero(F);
        int i = from;
        int upper = from + F.loopBound(to - from);
        for (; i < upper; i += L) {
            FloatVector e = RepeatableMath.exp(FloatVector.fromArray(F, x, i).sub(shift));
            e.intoArray(x, i);
            acc = acc.add(e);
        }
        float sum = RepeatableMath.sum(acc);
        for (; i < to; i++) {
            float e = RepeatableMath.exp(x[i] - shift);
            x[i] = e;
            sum += e;
        }
        return sum;
    }

    /**
     * log Σ exp(x[from..to)) computed stably: exponentials in float, summed per block of a few hundred into a
     * double so the sum over a large vocabulary keeps double accuracy.
     */
    public static double logSumExp(float[] x, int from, int to) {
        float m = max(x, from, to);
        if (m == Float.NEGATIVE_INFINITY || Float.isNaN(m)) {
            return m;
        }
        double total = 0;
        int i = from;
        int upper = from + F.loopBound(to - from);
        final int block = 16 * L;
        while (i < upper) {
            int end = Math.min(upper, i + block);
            FloatVector acc = FloatVector.zero(F);
            for (; i < end; i += L) {
                acc = acc.add(RepeatableMath.exp(FloatVector.fromArray(F, x, i).sub(m)));
            }
            total += RepeatableMath.sum(acc);
        }
        for (; i < to; i++) {
            total += RepeatableMath.exp(x[i] - m);
        }
        return m + Math.log(total);
    }

    /** acc[a0..a0+n) += s * v[v0..v0+n). */
    public static void axpy(float s, float[] v, int v0, float[] acc, int a0, int n) {
        FloatVector sv = FloatVector.broadcast(F, s);
        int i = 0;
        int upper = F.loopBound(n);
        for (; i < upper; i += L) {
            sv.fma(FloatVector.fromArray(F, v, v0 + i), FloatVector.fromArray(F, acc, a0 + i)).intoArray(acc, a0 + i);
        }
        for (; i < n; i++) {
            acc[a0 + i] = Math.fma(s, v[v0 + i], acc[a0 + i]);
        }
    }

    /**
     * scores[s0 + j] = scale * Σ_d q[q0+d] · kT[d*stride + k0 + j] for j &lt; n: attention scores of one query
     * against n consecutive keys stored transposed.
     */
    public static void scoresTransposed(float[] q, int q0, int dim, float scale, float[] kT, int stride, int k0,
                                        int n, float[] scores, int s0) {
        int j = 0;
        for (; j + L <= n; j += L) {
            FloatVector acc = FloatVector.zero(F);
            for (int d = 0; d < dim; d++) {
                acc = FloatVector.broadcast(F, q[q0 + d]).fma(FloatVector.fromArray(F, kT, d * stride + k0 + j), acc);
            }
            acc.mul(scale).intoArray(scores, s0 + j);
        }
        for (; j < n; j++) {
            float acc = 0;
            for (int d = 0; d < dim; d++) {
                acc = Math.fma(q[q0 + d], kT[d * stride + k0 + j], acc);
            }
            scores[s0 + j] = acc * scale;
        }
    }

    /**
     * Scores of four queries against the same n keys (stored transposed), sharing each key load:
     * {@code s[q*sStride + s0 + j] = scale * Σ_d q[q0 + q*qStride + d] · kT[d*stride + k0 + j]} for q &lt; 4, j &lt; n.
     * The vector loop has no masked operations so that C2 compiles it whole; the last n % LANES keys are scalar.
     */
    public static void scores4(float[] q, int q0, int qStride, int dim, float scale, float[] kT, int stride, int k0,
                               int n, float[] s, int sStride, int s0) {
        int j = 0;
        for (; j + L <= n; j += L) {
            scores4Block(q, q0, qStride, dim, scale, kT, stride, k0 + j, s, sStride, s0 + j);
        }
        for (; j < n; j++) {
            for (int qq = 0; qq < 4; qq++) {
                int qo = q0 + qq * qStride;
                float acc = 0;
                for (int d = 0; d < dim; d++) {
                    acc = Math.fma(q[qo + d], kT[d * stride + k0 + j], acc);
                }
                s[qq * sStride + s0 + j] = acc * scale;
            }
        }
    }

    private static void scores4Block(float[] q, int q0, int qStride, int dim, float scale, float[] kT, int stride,
                                     int k, float[] s, int sStride, int o) {
        int q1 = q0 + qStride;
        int q2 = q1 + qStride;
        int q3 = q2 + qStride;
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        FloatVector a2 = FloatVector.zero(F);
        FloatVector a3 = FloatVector.zero(F);
        for (int d = 0; d < dim; d++) {
            FloatVector kv = FloatVector.fromArray(F, kT, d * stride + k);
            a0 = FloatVector.broadcast(F, q[q0 + d]).fma(kv, a0);
            a1 = FloatVector.broadcast(F, q[q1 + d]).fma(kv, a1);
            a2 = FloatVector.broadcast(F, q[q2 + d]).fma(kv, a2);
            a3 = FloatVector.broadcast(F, q[q3 + d]).fma(kv, a3);
        }
        a0.mul(scale).intoArray(s, o);
        a1.mul(scale).intoArray(s, o + sStride);
        a2.mul(scale).intoArray(s, o + 2 * sStride);
        a3.mul(scale).intoArray(s, o + 3 * sStride);
    }

    /**
     * Adds the weighted values of n positions to four outputs, sharing each value load:
     * {@code out[o0 + q*oStride + d] += Σ_j p[q*pStride + p0 + j] · v[v0 + j*dim + d]} for q &lt; 4, d &lt; dim.
     * Whole vectors of the head dimension go through an unmasked loop; a remainder (dim % LANES) is scalar.
     */
    public static void weightedSum4(float[] p, int pStride, int p0, int n, float[] v, int v0, int dim, float[] out,
                                    int o0, int oStride) {
        int d = 0;
        for (; d + L <= dim; d += L) {
            weightedSum4Slice(p, pStride, p0, n, v, v0 + d, dim, out, o0 + d, oStride);
        }
        for (; d < dim; d++) {
            for (int qq = 0; qq < 4; qq++) {
                float acc = out[o0 + qq * oStride + d];
                for (int j = 0; j < n; j++) {
                    acc = Math.fma(p[qq * pStride + p0 + j], v[v0 + j * dim + d], acc);
                }
                out[o0 + qq * oStride + d] = acc;
            }
        }
    }

    private static void weightedSum4Slice(float[] p, int pStride, int p0, int n, float[] v, int v0, int dim,
                                          float[] out, int o, int oStride) {
        FloatVector a0 = FloatVector.fromArray(F, out, o);
        FloatVector a1 = FloatVector.fromArray(F, out, o + oStride);
        FloatVector a2 = FloatVector.fromArray(F, out, o + 2 * oStride);
        FloatVector a3 = FloatVector.fromArray(F, out, o + 3 * oStride);
        for (int j = 0; j < n; j++) {
            FloatVector x = FloatVector.fromArray(F, v, v0 + j * dim);
            int pj = p0 + j;
            a0 = FloatVector.broadcast(F, p[pj]).fma(x, a0);
            a1 = FloatVector.broadcast(F, p[pj + pStride]).fma(x, a1);
            a2 = FloatVector.broadcast(F, p[pj + 2 * pStride]).fma(x, a2);
            a3 = FloatVector.broadcast(F, p[pj + 3 * pStride]).fma(x, a3);
        }
        a0.intoArray(out, o);
        a1.intoArray(out, o + oStride);
        a2.intoArray(out, o + 2 * oStride);
        a3.intoArray(out, o + 3 * oStride);
    }
}
