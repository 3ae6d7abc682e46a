package dev.evomerge.engine.compute;

import dev.evomerge.core.tensor.NativeMemory;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;

/**
 * C = A·Wᵀ (+ bias) (+ C) for row-major activations A[m][k] and a {@link PackedMatrix} W[n][k]: the matmul of every
 * Linear layer. Multi-threaded over (row block x column panel) tasks; each task walks the reduction dimension in
 * blocks of {@link #KC} so the weight block being reused stays in L1, and a 4-row x 3-vector register tile does 12
 * independent FMAs per loaded weight vector triple. Each output element is accumulated in the same order whatever
 * the batch size, so a row's result does not depend on which other rows are in the batch.
 *
 * <p>Tile choice, measured on the project's AVX-512 machine (single thread, CPU time, n=2304, k=768): 4x3 with KC=128
 * reached 92 GFLOP/s, 8x3 with KC=256 100 GFLOP/s, of a 114 GFLOP/s FMA peak.
 *
 * <p>bf16 weights are read a column pair at a time (PackedMatrix's bf16 layout): one int vector holds L rows' values
 * of columns k and k+1, widened to floats by one operation each ({@link Simd#bf16Low}, {@link Simd#bf16High}); the
 * FMAs still run column k then column k+1 for every accumulator, so the result is bit-identical to the float32 matrix
 * of the same values. They go through the 4-row tile for every batch size: widening a weight block into a float
 * scratch for the 8-row tile was 8-25 % slower at 16-300 rows.
 */
public final class Gemm {

    private static final VectorSpecies<Float> F = Simd.F;
    private static final int L = Simd.LANES;
    private static final int NR = PackedMatrix.NR;
    /** Rows of the main register tile (24 accumulators of the 32 vector registers). */
    private static final int MR = 8;
    /** Reduction block: NR x KC floats of weights (48 KiB with AVX-512) stay in L1/L2 across a row block. */
    static final int KC = 256;
    /** Rows per task. */
    static final int MC = 64;
    /** Bytes of one column pair of L rows (an int vector) in a bf16 panel. */
    private static final long PAIR_VECTOR = 4L * L;

    private Gemm() {
    }

    /**
     * For r &lt; m and j &lt; w.rows(): {@code c[r*ldc + j] = (accumulate ? c[r*ldc + j] : 0) + bias[j] + Σ_k
     * a[r*lda + k] · W[j][k]}. {@code bias} may be null.
     */
    public static void multiply(WorkerPool pool, float[] a, int lda, int m, PackedMatrix w, float[] bias,
                                float[] c, int ldc, boolean accumulate) {
        if (m <= 0) {
            return;
        }
        int panels = w.panels();
        int rowBlocks = (m + MC - 1) / MC;
        pool.forEach(panels * rowBlocks, t -> {
            int p = t % panels;
            int rb = t / panels;
            int r0 = rb * MC;
            int mb = Math.min(MC, m - r0);
            task(a, lda, r0, mb, w, p, bias, c, ldc, accumulate);
        });
    }

    private static void task(float[] a, int lda, int r0, int mb, PackedMatrix w, int p, float[] bias, float[] c,
                             int ldc, boolean accumulate) {
        int n = w.rows();
        int k = w.cols();
        int col0 = p * NR;
        int width = Math.min(NR, n - col0);
        // The output tile: written in place for full panels, through a scratch tile for the padded last panel.
        float[] tile;
        int tileOff;
        int tileLd;
        if (width == NR) {
            tile = c;
            tileOff = r0 * ldc + col0;
            tileLd = ldc;
        } else {
            tile = new float[mb * NR];
            tileOff = 0;
            tileLd = NR;
            if (accumulate) {
                for (int r = 0; r < mb; r++) {
                    System.arraycopy(c, (r0 + r) * ldc + col0, tile, r * NR, width);
                }
            }
        }
        for (int r = 0; r < mb; r++) {
            int o = tileOff + r * tileLd;
            if (!accumulate) {
                if (bias != null) {
                    System.arraycopy(bias, col0, tile, o, width);
                } else {
                    java.util.Arrays.fill(tile, o, o + width, 0f);
                }
            } else if (bias != null) {
                for (int j = 0; j < width; j++) {
                    tile[o + j] += bias[col0 + j];
                }
            }
        }
        float[] wf = w.f32();
        MemorySegment wb = w.bf16();
        // bf16 weights are read at addresses through NativeMemory.ALL, checked here once (see NativeMemory: through
        // the segment itself the kernels' loads compiled 5x slower for m = 1 and 4 in a process that had used heap
        // segments before, docs/benchmarks.md "Kernels that do not depend on what ran before")
        long wa = wb != null ? NativeMemory.address(wb, 0, wb.byteSize()) : 0;
        // a bf16 panel holds pairs * 2 columns (one zero column padded when k is odd); KC is even, so a block's
        // first column kb is a pair's first and starts at short kb * NR of the panel in either layout
        long panelBase = (long) p * (wb != null ? 2 * w.pairs() : k) * NR;
        for (int kb = 0; kb < k; kb += KC) {
            int kc = Math.min(KC, k - kb);
            int bOff = (int) (panelBase + (long) kb * NR);
            int r = 0;
            int aBase = r0 * lda + kb;
            if (wf != null) {
                for (; r + MR <= mb; r += MR) {
                    kernel8x3(a, aBase + r * lda, lda, wf, bOff, kc, tile, tileOff + r * tileLd, tileLd);
                }
                for (; r + 4 <= mb; r += 4) {
                    kernel4x3(a, aBase + r * lda, lda, wf, bOff, kc, tile, tileOff + r * tileLd, tileLd);
                }
                for (; r < mb; r++) {
                    kernel1x3(a, aBase + r * lda, wf, bOff, kc, tile, tileOff + r * tileLd);
                }
            } else {
                // bf16: the 4-row tile at every batch size (see the class comment; an 8-row bf16 tile does not
                // fit the registers)
                for (; r + 4 <= mb; r += 4) {
                    kernel4x3Bf16(a, aBase + r * lda, lda, wa, bOff, kc, tile, tileOff + r * tileLd, tileLd);
                }
                for (; r < mb; r++) {
                    kernel1x3Bf16(a, aBase + r * lda, wa, bOff, kc, tile, tileOff + r * tileLd);
                }
            }
        }
        if (tile != c) {
            for (int r = 0; r < mb; r++) {
                System.arraycopy(tile, r * NR, c, (r0 + r) * ldc + col0, width);
            }
        }
    }

    private static void kernel8x3(float[] a, int a0, int lda, float[] b, int b0, int kc, float[] c, int c0, int ldc) {
        int a1 = a0 + lda;
        int a2 = a1 + lda;
        int a3 = a2 + lda;
        int a4 = a3 + lda;
        int a5 = a4 + lda;
        int a6 = a5 + lda;
        int a7 = a6 + lda;
        int c1 = c0 + ldc;
        int c2 = c1 + ldc;
        int c3 = c2 + ldc;
        int c4 = c3 + ldc;
        int c5 = c4 + ldc;
        int c6 = c5 + ldc;
        int c7 = c6 + ldc;
        FloatVector c00 = FloatVector.fromArray(F, c, c0);
        FloatVector c01 = FloatVector.fromArray(F, c, c0 + L);
        FloatVector c02 = FloatVector.fromArray(F, c, c0 + 2 * L);
        FloatVector c10 = FloatVector.fromArray(F, c, c1);
        FloatVector c11 = FloatVector.fromArray(F, c, c1 + L);
        FloatVector c12 = FloatVector.fromArray(F, c, c1 + 2 * L);
        FloatVector c20 = FloatVector.fromArray(F, c, c2);
        FloatVector c21 = FloatVector.fromArray(F, c, c2 + L);
        FloatVector c22 = FloatVector.fromArray(F, c, c2 + 2 * L);
        FloatVector c30 = FloatVector.fromArray(F, c, c3);
        FloatVector c31 = FloatVector.fromArray(F, c, c3 + L);
        FloatVector c32 = FloatVector.fromArray(F, c, c3 + 2 * L);
        FloatVector c40 = FloatVector.fromArray(F, c, c4);
        FloatVector c41 = FloatVector.fromArray(F, c, c4 + L);
        FloatVector c42 = FloatVector.fromArray(F, c, c4 + 2 * L);
        FloatVector c50 = FloatVector.fromArray(F, c, c5);
        FloatVector c51 = FloatVector.fromArray(F, c, c5 + L);
        FloatVector c52 = FloatVector.fromArray(F, c, c5 + 2 * L);
        FloatVector c60 = FloatVector.fromArray(F, c, c6);
        FloatVector c61 = FloatVector.fromArray(F, c, c6 + L);
        FloatVector c62 = FloatVector.fromArray(F, c, c6 + 2 * L);
        FloatVector c70 = FloatVector.fromArray(F, c, c7);
        FloatVector c71 = FloatVector.fromArray(F, c, c7 + L);
        FloatVector c72 = FloatVector.fromArray(F, c, c7 + 2 * L);
        for (int k = 0; k < kc; k++) {
            int bo = b0 + k * NR;
            FloatVector w0 = FloatVector.fromArray(F, b, bo);
            FloatVector w1 = FloatVector.fromArray(F, b, bo + L);
            FloatVector w2 = FloatVector.fromArray(F, b, bo + 2 * L);
            FloatVector x0 = FloatVector.broadcast(F, a[a0 + k]);
            c00 = x0.fma(w0, c00);
            c01 = x0.fma(w1, c01);
            c02 = x0.fma(w2, c02);
            FloatVector x1 = FloatVector.broadcast(F, a[a1 + k]);
            c10 = x1.fma(w0, c10);
            c11 = x1.fma(w1, c11);
            c12 = x1.fma(w2, c12);
            FloatVector x2 = FloatVector.broadcast(F, a[a2 + k]);
            c20 = x2.fma(w0, c20);
            c21 = x2.fma(w1, c21);
            c22 = x2.fma(w2, c22);
            FloatVector x3 = FloatVector.broadcast(F, a[a3 + k]);
            c30 = x3.fma(w0, c30);
            c31 = x3.fma(w1, c31);
            c32 = x3.fma(w2, c32);
            FloatVector x4 = FloatVector.broadcast(F, a[a4 + k]);
            c40 = x4.fma(w0, c40);
            c41 = x4.fma(w1, c41);
            c42 = x4.fma(w2, c42);
            FloatVector x5 = FloatVector.broadcast(F, a[a5 + k]);
            c50 = x5.fma(w0, c50);
            c51 = x5.fma(w1, c51);
            c52 = x5.fma(w2, c52);
            FloatVector x6 = FloatVector.broadcast(F, a[a6 + k]);
            c60 = x6.fma(w0, c60);
            c61 = x6.fma(w1, c61);
            c62 = x6.fma(w2, c62);
            FloatVector x7 = FloatVector.broadcast(F, a[a7 + k]);
            c70 = x7.fma(w0, c70);
            c71 = x7.fma(w1, c71);
            c72 = x7.fma(w2, c72);
        }
        c00.intoArray(c, c0);
        c01.intoArray(c, c0 + L);
        c02.intoArray(c, c0 + 2 * L);
        c10.intoArray(c, c1);
        c11.intoArray(c, c1 + L);
        c12.intoArray(c, c1 + 2 * L);
        c20.intoArray(c, c2);
        c21.intoArray(c, c2 + L);
        c22.intoArray(c, c2 + 2 * L);
        c30.intoArray(c, c3);
        c31.intoArray(c, c3 + L);
        c32.intoArray(c, c3 + 2 * L);
        c40.intoArray(c, c4);
        c41.intoArray(c, c4 + L);
        c42.intoArray(c, c4 + 2 * L);
        c50.intoArray(c, c5);
        c51.intoArray(c, c5 + L);
        c52.intoArray(c, c5 + 2 * L);
        c60.intoArray(c, c6);
        c61.intoArray(c, c6 + L);
        c62.intoArray(c, c6 + 2 * L);
        c70.intoArray(c, c7);
        c71.intoArray(c, c7 + L);
        c72.intoArray(c, c7 + 2 * L);
    }

    private static void kernel4x3(float[] a, int a0, int lda, float[] b, int b0, int kc, float[] c, int c0, int ldc) {
        int a1 = a0 + lda;
        int a2 = a1 + lda;
        int a3 = a2 + lda;
        int c1 = c0 + ldc;
        int c2 = c1 + ldc;
        int c3 = c2 + ldc;
        FloatVector c00 = FloatVector.fromArray(F, c, c0);
        FloatVector c01 = FloatVector.fromArray(F, c, c0 + L);
        FloatVector c02 = FloatVector.fromArray(F, c, c0 + 2 * L);
        FloatVector c10 = FloatVector.fromArray(F, c, c1);
        FloatVector c11 = FloatVector.fromArray(F, c, c1 + L);
        FloatVector c12 = FloatVector.fromArray(F, c, c1 + 2 * L);
        FloatVector c20 = FloatVector.fromArray(F, c, c2);
        FloatVector c21 = FloatVector.fromArray(F, c, c2 + L);
        FloatVector c22 = FloatVector.fromArray(F, c, c2 + 2 * L);
        FloatVector c30 = FloatVector.fromArray(F, c, c3);
        FloatVector c31 = FloatVector.fromArray(F, c, c3 + L);
        FloatVector c32 = FloatVector.fromArray(F, c, c3 + 2 * L);
        for (int k = 0; k < kc; k++) {
            int bo = b0 + k * NR;
            FloatVector w0 = FloatVector.fromArray(F, b, bo);
            FloatVector w1 = FloatVector.fromArray(F, b, bo + L);
            FloatVector w2 = FloatVector.fromArray(F, b, bo + 2 * L);
            FloatVector x = FloatVector.broadcast(F, a[a0 + k]);
            c00 = x.fma(w0, c00);
            c01 = x.fma(w1, c01);
            c02 = x.fma(w2, c02);
            x = FloatVector.broadcast(F, a[a1 + k]);
            c10 = x.fma(w0, c10);
            c11 = x.fma(w1, c11);
            c12 = x.fma(w2, c12);
            x = FloatVector.broadcast(F, a[a2 + k]);
            c20 = x.fma(w0, c20);
            c21 = x.fma(w1, c21);
            c22 = x.fma(w2, c22);
            x = FloatVector.broadcast(F, a[a3 + k]);
            c30 = x.fma(w0, c30);
            c31 = x.fma(w1, c31);
            c32 = x.fma(w2, c32);
        }
        c00.intoArray(c, c0);
        c01.intoArray(c, c0 + L);
        c02.intoArray(c, c0 + 2 * L);
        c10.intoArray(c, c1);
        c11.intoArray(c, c1 + L);
        c12.intoArray(c, c1 + 2 * L);
        c20.intoArray(c, c2);
        c21.intoArray(c, c2 + L);
        c22.intoArray(c, c2 + 2 * L);
        c30.intoArray(c, c3);
        c31.intoArray(c, c3 + L);
        c32.intoArray(c, c3 + 2 * L);
    }

    private static void kernel1x3(float[] a, int a0, float[] b, int b0, int kc, float[] c, int c0) {
        FloatVector c00 = FloatVector.fromArray(F, c, c0);
        FloatVector c01 = FloatVector.fromArray(F, c, c0 + L);
        FloatVector c02 = FloatVector.fromArray(F, c, c0 + 2 * L);
        for (int k = 0; k < kc; k++) {
            int bo = b0 + k * NR;
            FloatVector x = FloatVector.broadcast(F, a[a0 + k]);
            c00 = x.fma(FloatVector.fromArray(F, b, bo), c00);
            c01 = x.fma(FloatVector.fromArray(F, b, bo + L), c01);
            c02 = x.fma(FloatVector.fromArray(F, b, bo + 2 * L), c02);
        }
        c00.intoArray(c, c0);
        c01.intoArray(c, c0 + L);
        c02.intoArray(c, c0 + 2 * L);
    }

    private static void kernel4x3Bf16(float[] a, int a0, int lda, long b, long b0, int kc, float[] c, int c0,
                                      int ldc) {
        int a1 = a0 + lda;
        int a2 = a1 + lda;
        int a3 = a2 + lda;
        int c1 = c0 + ldc;
        int c2 = c1 + ldc;
        int c3 = c2 + ldc;
        FloatVector c00 = FloatVector.fromArray(F, c, c0);
        FloatVector c01 = FloatVector.fromArray(F, c, c0 + L);
        FloatVector c02 = FloatVector.fromArray(F, c, c0 + 2 * L);
        FloatVector c10 = FloatVector.fromArray(F, c, c1);
        FloatVector c11 = FloatVector.fromArray(F, c, c1 + L);
        FloatVector c12 = FloatVector.fromArray(F, c, c1 + 2 * L);
        FloatVector c20 = FloatVector.fromArray(F, c, c2);
        FloatVector c21 = FloatVector.fromArray(F, c, c2 + L);
        FloatVector c22 = FloatVector.fromArray(F, c, c2 + 2 * L);
        FloatVector c30 = FloatVector.fromArray(F, c, c3);
        FloatVector c31 = FloatVector.fromArray(F, c, c3 + L);
        FloatVector c32 = FloatVector.fromArray(F, c, c3 + 2 * L);
        // k two at a time; an odd last column is a pair's low half alone (its high half is the zero padding)
        for (int k = 0; k < kc; k += 2) {
            long bo = 2 * (b0 + (long) k * NR);
            IntVector v0 = Simd.loadBf16Pairs(b + bo);
            IntVector v1 = Simd.loadBf16Pairs(b + bo + PAIR_VECTOR);
            IntVector v2 = Simd.loadBf16Pairs(b + bo + 2 * PAIR_VECTOR);
            // column k
            FloatVector w0 = Simd.bf16Low(v0);
            FloatVector w1 = Simd.bf16Low(v1);
            FloatVector w2 = Simd.bf16Low(v2);
            FloatVector x0 = FloatVector.broadcast(F, a[a0 + k]);
            c00 = x0.fma(w0, c00);
            c01 = x0.fma(w1, c01);
            c02 = x0.fma(w2, c02);
            FloatVector x1 = FloatVector.broadcast(F, a[a1 + k]);
            c10 = x1.fma(w0, c10);
            c11 = x1.fma(w1, c11);
            c12 = x1.fma(w2, c12);
            FloatVector x2 = FloatVector.broadcast(F, a[a2 + k]);
            c20 = x2.fma(w0, c20);
            c21 = x2.fma(w1, c21);
            c22 = x2.fma(w2, c22);
            FloatVector x3 = FloatVector.broadcast(F, a[a3 + k]);
            c30 = x3.fma(w0, c30);
            c31 = x3.fma(w1, c31);
            c32 = x3.fma(w2, c32);
            if (k + 1 == kc) {
                break;
            }
            // column k + 1
            w0 = Simd.bf16High(v0);
            w1 = Simd.bf16High(v1);
            w2 = Simd.bf16High(v2);
            x0 = FloatVector.broadcast(F, a[a0 + k + 1]);
            c00 = x0.fma(w0, c00);
            c01 = x0.fma(w1, c01);
            c02 = x0.fma(w2, c02);
            x1 = FloatVector.broadcast(F, a[a1 + k + 1]);
            c10 = x1.fma(w0, c10);
            c11 = x1.fma(w1, c11);
            c12 = x1.fma(w2, c12);
            x2 = FloatVector.broadcast(F, a[a2 + k + 1]);
            c20 = x2.fma(w0, c20);
            c21 = x2.fma(w1, c21);
            c22 = x2.fma(w2, c22);
            x3 = FloatVector.broadcast(F, a[a3 + k + 1]);
            c30 = x3.fma(w0, c30);
            c31 = x3.fma(w1, c31);
            c32 = x3.fma(w2, c32);
        }
        c00.intoArray(c, c0);
        c01.intoArray(c, c0 + L);
        c02.intoArray(c, c0 + 2 * L);
        c10.intoArray(c, c1);
        c11.intoArray(c, c1 + L);
        c12.intoArray(c, c1 + 2 * L);
        c20.intoArray(c, c2);
        c21.intoArray(c, c2 + L);
        c22.intoArray(c, c2 + 2 * L);
        c30.intoArray(c, c3);
        c31.intoArray(c, c3 + L);
        c32.intoArray(c, c3 + 2 * L);
    }

    private static void kernel1x3Bf16(float[] a, int a0, long b, long b0, int kc, float[] c, int c0) {
        FloatVector c00 = FloatVector.fromArray(F, c, c0);
        FloatVector c01 = FloatVector.fromArray(F, c, c0 + L);
        FloatVector c02 = FloatVector.fromArray(F, c, c0 + 2 * L);
        for (int k = 0; k < kc; k += 2) {
            long bo = 2 * (b0 + (long) k * NR);
            IntVector v0 = Simd.loadBf16Pairs(b + bo);
            IntVector v1 = Simd.loadBf16Pairs(b + bo + PAIR_VECTOR);
            IntVector v2 = Simd.loadBf16Pairs(b + bo + 2 * PAIR_VECTOR);
            FloatVector x = FloatVector.broadcast(F, a[a0 + k]);
            c00 = x.fma(Simd.bf16Low(v0), c00);
            c01 = x.fma(Simd.bf16Low(v1), c01);
            c02 = x.fma(Simd.bf16Low(v2), c02);
            if (k + 1 == kc) {
                break; // an odd last column
            }
            x = FloatVector.broadcast(F, a[a0 + k + 1]);
            c00 = x.fma(Simd.bf16High(v0), c00);
            c01 = x.fma(Simd.bf16High(v1), c01);
            c02 = x.fma(Simd.bf16High(v2), c02);
        }
        c00.intoArray(c, c0);
        c01.intoArray(c, c0 + L);
        c02.intoArray(c, c0 + 2 * L);
    }
}
