package dev.evomerge.merge.method;

import java.util.Arrays;

/**
 * Per-thread work arrays for computing one piece of an output tensor (up to 2 x {@link Numerics#GRAIN} elements),
 * reused from piece to piece: a merge of a large model visits hundreds of thousands of pieces, and fresh arrays for
 * each made gigabytes of garbage that the collector answered by growing the heap.
 */
final class PieceScratch {

    private static final ThreadLocal<PieceScratch> LOCAL = ThreadLocal.withInitial(PieceScratch::new);

    private float[][] deltas = new float[0][];
    private float[][] weighted = new float[0][];
    private float[] vote = new float[0];
    private float[] mixed = new float[0];
    private float[] div = new float[0];
    private float[] piece = new float[0];
    private float[] base = new float[0];

    private PieceScratch() {
    }

    /** This thread's arrays. */
    static PieceScratch get() {
        return LOCAL.get();
    }

    /** Exactly models arrays of at least len elements for a piece's task-vector values (contents unspecified). */
    float[][] deltas(int models, int len) {
        deltas = fit(deltas, models, len);
        return deltas;
    }

    /** Exactly models arrays of at least len elements for round(δ·W) (contents unspecified). */
    float[][] weighted(int models, int len) {
        weighted = fit(weighted, models, len);
        return weighted;
    }

    /** At least len zeros. */
    float[] vote(int len) {
        vote = zeros(vote, len);
        return vote;
    }

    /** At least len zeros. */
    float[] mixed(int len) {
        mixed = zeros(mixed, len);
        return mixed;
    }

    /** At least len zeros. */
    float[] div(int len) {
        div = zeros(div, len);
        return div;
    }

    /** At least len elements, contents unspecified. */
    float[] piece(int len) {
        if (piece.length < len) {
            piece = new float[len];
        }
        return piece;
    }

    /** At least len elements, contents unspecified. */
    float[] base(int len) {
        if (base.length < len) {
            base = new float[len];
        }
        return base;
    }

    private static float[][] fit(float[][] a, int models, int len) {
        if (a.length != models) {
            a = Arrays.copyOf(a, models); // exactly one row per model: callers iterate over the rows
        }
        for (int i = 0; i < models; i++) {
            if (a[i] == null || a[i].length < len) {
                a[i] = new float[len];
            }
        }
        return a;
    }

    private static float[] zeros(float[] a, int len) {
        if (a.length < len) {
            return new float[len];
        }
        Arrays.fill(a, 0, len, 0f);
        return a;
    }
}
