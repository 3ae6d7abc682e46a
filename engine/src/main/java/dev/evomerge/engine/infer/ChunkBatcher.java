package dev.evomerge.engine.infer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Packs chunks into forward passes of bounded size: at most {@code maxRows} token rows (bounding activation
 * memory) and {@code maxLogitRows} logit rows (bounding rows x vocab floats) per pass. A long chunk is split
 * across consecutive passes; its cache carries the state between them. Each logit row is handed to the consumer
 * as soon as its pass finishes, so logits are never all held at once.
 */
final class ChunkBatcher {

    /** Receives the logits after token {@code token} of chunk {@code chunk}: {@code vocab} floats at offset. */
    @FunctionalInterface
    interface LogitConsumer {
        void accept(int chunk, int token, float[] logits, int offset);
    }

    private final ForwardPass forward;
    private final int maxRows;
    private final int maxLogitRows;

    ChunkBatcher(ForwardPass forward, int maxRows, int maxLogitRows) {
        this.forward = forward;
        this.maxRows = maxRows;
        this.maxLogitRows = maxLogitRows;
    }

    /** Runs every chunk to completion, in order, calling the consumer for each wanted logit row. */
    void run(List<ForwardPass.Chunk> chunks, LogitConsumer consumer) {
        int c = 0;
        int t = 0;
        while (c < chunks.size()) {
            List<ForwardPass.Chunk> pass = new ArrayList<>();
            List<int[]> origin = new ArrayList<>(); // {chunk index, first token index}
            int rows = 0;
            int logitRows = 0;
            while (c < chunks.size() && rows < maxRows && logitRows < maxLogitRows) {
                ForwardPass.Chunk ch = chunks.get(c);
                int len = ch.tokens().length;
                int take = Math.min(len - t, maxRows - rows);
                int logitStart = Math.max(t, ch.logitsFrom());
                // shrink the piece until its logit rows fit
                int wantLogits = Math.max(0, t + take - logitStart);
                if (wantLogits > maxLogitRows - logitRows) {
                    take = logitStart - t + (maxLogitRows - logitRows);
                }
                if (take <= 0) {
                    break;
                }
                int[] piece = Arrays.copyOfRange(ch.tokens(), t, t + take);
                int from = Math.min(take, Math.max(0, ch.logitsFrom() - t));
                pass.add(new ForwardPass.Chunk(ch.cache(), piece, from));
                origin.add(new int[]{c, t});
                rows += take;
                logitRows += take - from;
                t += take;
                if (t == len) {
                    c++;
                    t = 0;
                } else {
                    break; // the rest of this chunk goes in the next pass, after its cache holds this piece
                }
            }
            if (pass.isEmpty()) {
                // A chunk with no tokens: nothing to compute.
                c++;
                t = 0;
                continue;
            }
            ForwardPass.Logits logits = forward.run(pass);
            for (int i = 0; i < pass.size(); i++) {
                ForwardPass.Chunk p = pass.get(i);
                for (int j = 0; j < p.logitRows(); j++) {
                    consumer.accept(origin.get(i)[0], origin.get(i)[1] + p.logitsFrom() + j, logits.data(),
                            logits.offset(i, j));
                }
            }
        }
    }
}
