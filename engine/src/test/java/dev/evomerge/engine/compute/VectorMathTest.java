package dev.evomerge.engine.compute;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Row operations against float64 formulas, including lengths that are not a multiple of the vector width. */
class VectorMathTest {

    private final SplittableRandom rnd = new SplittableRandom(17);

    private float[] random(int n, double scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (rnd.nextGaussian() * scale);
        }
        return v;
    }

    @Test
    void rmsNormAndSilu() {
        for (int n : new int[]{1, 15, 16, 37, 100}) {
            float[] x = random(n + 3, 2);
            float[] w = random(n, 1);
            float[] out = new float[n + 5];
            VectorMath.rmsNorm(x, 3, w, n, 1e-5f, out, 5);
            double ss = 0;
            for (int i = 0; i < n; i++) {
                ss += (double) x[3 + i] * x[3 + i];
            }
            double r = 1 / Math.sqrt(ss / n + 1e-5);
            for (int i = 0; i < n; i++) {
                assertThat((double) out[5 + i]).isCloseTo(x[3 + i] * r * w[i], within(1e-5));
            }
            float[] g = random(n, 4);
            float[] u = random(n, 1);
            float[] s = new float[n];
            VectorMath.siluMul(g, 0, u, 0, n, s, 0);
            for (int i = 0; i < n; i++) {
                assertThat((double) s[i]).isCloseTo(g[i] / (1 + Math.exp(-g[i])) * u[i], within(1e-5));
            }
        }
    }

    @Test
    void logSumExpOverLargeVocabularyKeepsDoubleAccuracy() {
        float[] x = random(32003, 3);
        double m = Double.NEGATIVE_INFINITY;
        for (float v : x) {
            m = Math.max(m, v);
        }
        double s = 0;
        for (float v : x) {
            s += Math.exp(v - m);
        }
        assertThat(VectorMath.logSumExp(x, 0, x.length)).isCloseTo(m + Math.log(s), within(2e-6));
        assertThat(VectorMath.logSumExp(new float[]{0f, 0f}, 0, 2)).isCloseTo(Math.log(2), within(1e-7));
    }

    @Test
    void attentionPiecesMatchLoops() {
        int dim = 24;
        int stride = 40;
        float[] q = random(dim, 1);
        float[] kT = random(dim * stride, 1);
        float[] scores = new float[50];
        VectorMath.scoresTransposed(q, 0, dim, 0.5f, kT, stride, 3, 21, scores, 10);
        for (int j = 0; j < 21; j++) {
            double s = 0;
            for (int d = 0; d < dim; d++) {
                s += (double) q[d] * kT[d * stride + 3 + j];
            }
            assertThat((double) scores[10 + j]).isCloseTo(0.5 * s, within(1e-5));
        }
        assertThat(scores[9]).isZero();
        assertThat(scores[31]).isZero();
        float[] e = {1f, 2f, 3f, 0.5f};
        float sum = VectorMath.expInPlace(e, 1, 4, 3f);
        assertThat(e[0]).isEqualTo(1f);
        assertThat((double) e[1]).isCloseTo(Math.exp(-1), within(1e-7));
        assertThat((double) sum).isCloseTo(Math.exp(-1) + 1 + Math.exp(-2.5), within(1e-6));
        assertThat(VectorMath.max(new float[]{3, -1, 7, 2, 9, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 8}, 0, 19))
                .isEqualTo(9f);
    }

    @Test
    void fourQueryKernelsMatchLoops() {
        for (int dim : new int[]{16, 24, 64}) {
            int stride = 45;
            int qStride = dim + 5;
            float[] q = random(4 * qStride, 1);
            float[] kT = random(dim * stride, 1);
            int sStride = 60;
            float[] s = new float[4 * sStride];
            VectorMath.scores4(q, 2, qStride, dim, 0.25f, kT, stride, 4, 37, s, sStride, 20);
            for (int qq = 0; qq < 4; qq++) {
                for (int j = 0; j < 37; j++) {
                    double want = 0;
                    for (int d = 0; d < dim; d++) {
                        want += (double) q[2 + qq * qStride + d] * kT[d * stride + 4 + j];
                    }
                    assertThat((double) s[qq * sStride + 20 + j]).isCloseTo(0.25 * want, within(1e-5));
                }
                assertThat(s[qq * sStride + 19]).isZero();
                assertThat(s[qq * sStride + 57]).isZero();
            }
            float[] v = random(40 * dim, 1);
            int oStride = dim + 3;
            float[] out = random(4 * oStride, 1);
            float[] before = out.clone();
            VectorMath.weightedSum4(s, sStride, 20, 37, v, 2 * dim, dim, out, 0, oStride);
            for (int qq = 0; qq < 4; qq++) {
                for (int d = 0; d < dim; d++) {
                    double want = before[qq * oStride + d];
                    for (int j = 0; j < 37; j++) {
                        want += (double) s[qq * sStride + 20 + j] * v[2 * dim + j * dim + d];
                    }
                    assertThat((double) out[qq * oStride + d]).isCloseTo(want, within(1e-4));
                }
                for (int d = dim; d < oStride; d++) {
                    assertThat(out[qq * oStride + d]).isEqualTo(before[qq * oStride + d]);
                }
            }
        }
    }
}
