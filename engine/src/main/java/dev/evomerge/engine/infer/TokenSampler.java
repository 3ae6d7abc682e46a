package dev.evomerge.engine.infer;

import dev.evomerge.engine.Sampling;

import java.util.Arrays;
import java.util.SplittableRandom;

/** Chooses the next token of one generation: argmax, or a seeded draw with temperature, top-k and top-p. */
final class TokenSampler {

    private final Sampling sampling;
    private final SplittableRandom random;

    TokenSampler(Sampling sampling) {
        this.sampling = sampling;
        this.random = sampling instanceof Sampling.Random r ? new SplittableRandom(r.seed()) : null;
    }

    int next(LogitRow row, int vocab) {
        return switch (sampling) {
            case Sampling.Greedy g -> row.argmax();
            case Sampling.Random r -> draw(row, vocab, r);
        };
    }

    private int draw(LogitRow row, int vocab, Sampling.Random r) {
        double invT = 1.0 / r.temperature();
        Integer[] order = null;
        int n = vocab;
        if (r.topK() > 0 || r.topP() < 1.0) {
            order = new Integer[vocab];
            for (int i = 0; i < vocab; i++) {
                order[i] = i;
            }
            Arrays.sort(order, (a, b) -> {
                int c = Float.compare(row.logit(b), row.logit(a));
                return c != 0 ? c : Integer.compare(a, b);
            });
            if (r.topK() > 0) {
                n = Math.min(n, r.topK());
            }
        }
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, row.logit(order == null ? i : order[i]) * invT);
        }
        double[] p = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            p[i] = Math.exp(row.logit(order == null ? i : order[i]) * invT - max);
            sum += p[i];
        }
        if (r.topP() < 1.0) {
            // keep the smallest prefix (most likely first) whose probability reaches topP
            double cum = 0;
            int keep = n;
            for (int i = 0; i < n; i++) {
                cum += p[i] / sum;
                if (cum >= r.topP()) {
                    keep = i + 1;
                    break;
                }
            }
            n = keep;
            sum = 0;
            for (int i = 0; i < n; i++) {
                sum += p[i];
            }
        }
        double u = random.nextDouble() * sum;
        double acc = 0;
        for (int i = 0; i < n; i++) {
            acc += p[i];
            if (u < acc) {
                return order == null ? i : order[i];
            }
        }
        return order == null ? n - 1 : order[n - 1];
    }
}
