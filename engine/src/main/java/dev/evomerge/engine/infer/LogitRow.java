package dev.evomerge.engine.infer;

import dev.evomerge.engine.TokenScore;
import dev.evomerge.engine.compute.VectorMath;

import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;

/** Log-softmax facts about one row of logits (vocab floats at an offset). */
final class LogitRow {

    private final float[] logits;
    private final int offset;
    private final int vocab;
    private final double logSumExp;

    LogitRow(float[] logits, int offset, int vocab) {
        this.logits = logits;
        this.offset = offset;
        this.vocab = vocab;
        this.logSumExp = VectorMath.logSumExp(logits, offset, offset + vocab);
    }

    /** log P(token). */
    double logprob(int token) {
        return logits[offset + token] - logSumExp;
    }

    float logit(int token) {
        return logits[offset + token];
    }

    /** The most likely token; the lowest id among equal maxima (torch.argmax's choice). */
    int argmax() {
        int best = 0;
        float m = logits[offset];
        for (int i = 1; i < vocab; i++) {
            float v = logits[offset + i];
            if (v > m) {
                m = v;
                best = i;
            }
        }
        return best;
    }

    /** The n most likely tokens, best first, lower id first among ties. */
    List<TokenScore> top(int n) {
        if (n <= 0) {
            return List.of();
        }
        n = Math.min(n, vocab);
        // min-heap of the best n so far: worst (lowest logit, then highest id) on top
        PriorityQueue<Integer> heap = new PriorityQueue<>(n, (a, b) -> {
            int c = Float.compare(logits[offset + a], logits[offset + b]);
            return c != 0 ? c : Integer.compare(b, a);
        });
        for (int i = 0; i < vocab; i++) {
            if (heap.size() < n) {
                heap.add(i);
            } else {
                int worst = heap.peek();
                float v = logits[offset + i];
                float w = logits[offset + worst];
                if (v > w) {
                    heap.poll();
                    heap.add(i);
                }
            }
        }
        List<TokenScore> out = new ArrayList<>(n);
        while (!heap.isEmpty()) {
            int id = heap.poll();
            out.addFirst(new TokenScore(id, logprob(id)));
        }
        return out;
    }

    /** A copy of the row's logits. */
    float[] copy() {
        float[] c = new float[vocab];
        System.arraycopy(logits, offset, c, 0, vocab);
        return c;
    }
}
