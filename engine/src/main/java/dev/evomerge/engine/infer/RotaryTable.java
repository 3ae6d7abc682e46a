package dev.evomerge.engine.infer;

import dev.evomerge.engine.model.TransformerConfig;

/**
 * cos/sin of rotary angles per position, computed in double and rounded once (transformers rounds the angle
 * through float32, which loses accuracy at long positions; the double angle is the exact reference).
 * Grows on demand; not thread-safe, grown before parallel sections.
 */
final class RotaryTable {

    private final int half;
    private final double[] invFreq;
    private int positions;
    private float[] cos = new float[0];
    private float[] sin = new float[0];

    RotaryTable(TransformerConfig config) {
        this.half = config.headDim() / 2;
        this.invFreq = new double[half];
        for (int i = 0; i < half; i++) {
            double f = 1.0 / Math.pow(config.ropeTheta(), (2.0 * i) / config.headDim());
            invFreq[i] = config.ropeScaling().adjust(f);
        }
    }

    /** Ensures positions [0, n) are tabulated. */
    void ensure(int n) {
        if (n <= positions) {
            return;
        }
        int newN = Math.max(n, Math.max(64, positions * 2));
        float[] c = new float[newN * half];
        float[] s = new float[newN * half];
        System.arraycopy(cos, 0, c, 0, positions * half);
        System.arraycopy(sin, 0, s, 0, positions * half);
        for (int p = positions; p < newN; p++) {
            for (int i = 0; i < half; i++) {
                double angle = p * invFreq[i];
                c[p * half + i] = (float) Math.cos(angle);
                s[p * half + i] = (float) Math.sin(angle);
            }
        }
        cos = c;
        sin = s;
        positions = newN;
    }

    /** Rotates one head vector x[off..off+2*half) in place for position pos (rotate-half convention). */
    void rotate(float[] x, int off, int pos) {
        int t = pos * half;
        for (int i = 0; i < half; i++) {
            float a = x[off + i];
            float b = x[off + half + i];
            float c = cos[t + i];
            float s = sin[t + i];
            x[off + i] = a * c - b * s;
            x[off + half + i] = b * c + a * s;
        }
    }
}
