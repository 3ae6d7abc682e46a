package dev.evomerge.engine.infer;

import dev.evomerge.engine.compute.Gemm;
import dev.evomerge.engine.compute.PackedMatrix;
import dev.evomerge.engine.compute.VectorMath;
import dev.evomerge.engine.compute.WorkerPool;
import dev.evomerge.engine.model.LayerWeights;
import dev.evomerge.engine.model.ModelWeights;
import dev.evomerge.engine.model.TransformerConfig;

import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * The decoder forward pass over a batch of chunks: each chunk appends tokens to its own {@link KvCache} (a fresh
 * cache for a prompt, a fork for a continuation, one token for a decode step). All rows of all chunks go through
 * each weight matrix together (one GEMM per matrix), attention runs per (chunk, head), and logits are computed only
 * for the rows that ask for them. Semantics follow transformers' Llama/Mistral/Qwen2/Qwen3: RMSNorm, rotate-half
 * RoPE, grouped-query attention with an optional sliding window, SiLU-gated MLP, final norm, lm_head.
 */
final class ForwardPass {

    /**
     * Tokens to append to a cache; logits are wanted after each token from index {@code logitsFrom} on
     * ({@code tokens.length} for none).
     */
    record Chunk(KvCache cache, int[] tokens, int logitsFrom) {
        int logitRows() {
            return tokens.length - logitsFrom;
        }
    }

    /** Logit rows, {@code vocab} floats each; chunk i's rows start at row {@code firstRow[i]}. */
    record Logits(float[] data, int vocab, int[] firstRow) {
        int offset(int chunk, int j) {
            return (firstRow[chunk] + j) * vocab;
        }
    }

    private static final int ROW_BLOCK = 8;

    private final TransformerConfig config;
    private final ModelWeights weights;
    private final List<LayerWeights> layers;
    /** Factor for the residual stream entering each position (a data-flow path's scaling), or null when all are 1. */
    private final float[] inputScales;
    /**
     * The epsilon of the residual-stream norms at each position, and last that of the final norm: eps times the square
     * of the product of the input scales so far. A scaled stream C·y normed with eps·C² gives exactly what y normed with
     * eps gives, and y is the stream of the same path exported as a passthrough model (whose o_proj and down_proj carry
     * 1/C instead; see PassthroughExport), so a path scores in memory as its exported model does, at any eps.
     */
    private final float[] streamEps;
    private final RotaryTable rotary;
    private final WorkerPool pool;
    private final LongAdder rowsComputed;

    ForwardPass(TransformerConfig config, ModelWeights weights, List<LayerWeights> layers, float[] inputScales,
                RotaryTable rotary, WorkerPool pool, LongAdder rowsComputed) {
        if (inputScales != null && inputScales.length != layers.size()) {
            throw new IllegalArgumentException(inputScales.length + " input scales for " + layers.size() + " layers");
        }
        this.config = config;
        this.weights = weights;
        this.layers = layers;
        this.inputScales = inputScales;
        this.streamEps = streamEps(config.rmsNormEps(), inputScales, layers.size());
        this.rotary = rotary;
        this.pool = pool;
        this.rowsComputed = rowsComputed;
    }

    private static float[] streamEps(double eps, float[] inputScales, int n) {
        float[] out = new float[n + 1];
        double c = 1;
        for (int l = 0; l <= n; l++) {
            if (l < n && inputScales != null) {
                c *= inputScales[l];
            }
            out[l] = (float) (eps * c * c);
        }
        return out;
    }

    Logits run(List<Chunk> chunks) {
        int h = config.hiddenSize();
        int nc = chunks.size();
        int[] rowStart = new int[nc + 1];
        int[] logitStart = new int[nc + 1];
        int maxLen = 0;
        for (int c = 0; c < nc; c++) {
            Chunk ch = chunks.get(c);
            if (ch.cache().layers() != layers.size()) {
                throw new IllegalStateException("cache built for " + ch.cache().layers() + " layers, model runs "
                        + layers.size());
            }
            rowStart[c + 1] = rowStart[c] + ch.tokens().length;
            logitStart[c + 1] = logitStart[c] + ch.logitRows();
            int end = ch.cache().length() + ch.tokens().length;
            ch.cache().ensureCapacity(end);
            maxLen = Math.max(maxLen, end);
        }
        int rows = rowStart[nc];
        rowsComputed.add(rows);
        rotary.ensure(maxLen);
        int[] rowChunk = new int[rows];
        int[] rowPos = new int[rows];
        float[] x = new float[rows * h];
        for (int c = 0; c < nc; c++) {
            Chunk ch = chunks.get(c);
            for (int j = 0; j < ch.tokens().length; j++) {
                int r = rowStart[c] + j;
                rowChunk[r] = c;
                rowPos[r] = ch.cache().length() + j;
            }
        }
        PackedMatrix embedding = weights.embedding();
        pool.forEach(blocks(rows), b -> {
            for (int r = b * ROW_BLOCK; r < Math.min(rows, (b + 1) * ROW_BLOCK); r++) {
                Chunk ch = chunks.get(rowChunk[r]);
                embedding.getRow(ch.tokens()[rowPos[r] - ch.cache().length()], x, r * h);
            }
        });
        State s = new State(rows, rowChunk, rowPos, rowStart, chunks, x);
        for (int l = 0; l < layers.size(); l++) {
            layer(l, layers.get(l), s);
        }
        for (Chunk ch : chunks) {
            ch.cache().advance(ch.tokens().length);
        }
        return logits(chunks, rowStart, logitStart, x);
    }

    /** Per-call buffers shared by the layers. */
    private final class State {
        final int rows;
        final int[] rowChunk;
        final int[] rowPos;
        final int[] rowStart;
        final List<Chunk> chunks;
        final float[] x;
        final float[] xn;
        final float[] qkv;
        final float[] attn;
        final float[] gateUp;
        final float[] act;

        State(int rows, int[] rowChunk, int[] rowPos, int[] rowStart, List<Chunk> chunks, float[] x) {
            this.rows = rows;
            this.rowChunk = rowChunk;
            this.rowPos = rowPos;
            this.rowStart = rowStart;
            this.chunks = chunks;
            this.x = x;
            this.xn = new float[rows * config.hiddenSize()];
            this.qkv = new float[rows * (config.qDim() + 2 * config.kvDim())];
            this.attn = new float[rows * config.qDim()];
            this.gateUp = new float[rows * 2 * config.intermediateSize()];
            this.act = new float[rows * config.intermediateSize()];
        }
    }

    private static int blocks(int rows) {
        return (rows + ROW_BLOCK - 1) / ROW_BLOCK;
    }

    private void layer(int l, LayerWeights w, State s) {
        int h = config.hiddenSize();
        int rows = s.rows;
        int qkvDim = config.qDim() + 2 * config.kvDim();
        int inter = config.intermediateSize();
        float eps = (float) config.rmsNormEps();
        float streamEps = this.streamEps[l];
        float scale = inputScales == null ? 1f : inputScales[l];
        pool.forEach(blocks(rows), b -> {
            for (int r = b * ROW_BLOCK; r < Math.min(rows, (b + 1) * ROW_BLOCK); r++) {
                if (scale != 1f) {
                    // the stream itself is scaled (not just this layer's view of it): the residual add below and
                    // every later layer see the scaled stream, as a data-flow path defines it
                    for (int i = r * h; i < (r + 1) * h; i++) {
                        s.x[i] *= scale;
                    }
                }
                VectorMath.rmsNorm(s.x, r * h, w.inputNorm(), h, streamEps, s.xn, r * h);
            }
        });
        Gemm.multiply(pool, s.xn, h, rows, w.qkv(), w.qkvBias(), s.qkv, qkvDim, false);
        pool.forEach(blocks(rows), b -> {
            for (int r = b * ROW_BLOCK; r < Math.min(rows, (b + 1) * ROW_BLOCK); r++) {
                positionAndStore(l, w, s, r, qkvDim, eps);
            }
        });
        int heads = config.numHeads();
        pool.forEach(s.chunks.size() * heads, t -> attention(l, s, t / heads, t % heads, qkvDim));
        Gemm.multiply(pool, s.attn, config.qDim(), rows, w.o(), w.oBias(), s.x, h, true);
        pool.forEach(blocks(rows), b -> {
            for (int r = b * ROW_BLOCK; r < Math.min(rows, (b + 1) * ROW_BLOCK); r++) {
                VectorMath.rmsNorm(s.x, r * h, w.postNorm(), h, streamEps, s.xn, r * h);
            }
        });
        Gemm.multiply(pool, s.xn, h, rows, w.gateUp(), w.gateUpBias(), s.gateUp, 2 * inter, false);
        pool.forEach(blocks(rows), b -> {
            for (int r = b * ROW_BLOCK; r < Math.min(rows, (b + 1) * ROW_BLOCK); r++) {
                VectorMath.siluMul(s.gateUp, r * 2 * inter, s.gateUp, r * 2 * inter + inter, inter, s.act, r * inter);
            }
        });
        Gemm.multiply(pool, s.act, inter, rows, w.down(), w.downBias(), s.x, h, true);
    }

    /** q/k norm (Qwen3), RoPE on q and k, and the row's k/v into its cache. */
    private void positionAndStore(int l, LayerWeights w, State s, int r, int qkvDim, float eps) {
        int hd = config.headDim();
        int heads = config.numHeads();
        int kvHeads = config.numKvHeads();
        int base = r * qkvDim;
        int kBase = base + config.qDim();
        int vBase = kBase + config.kvDim();
        int pos = s.rowPos[r];
        for (int hh = 0; hh < heads; hh++) {
            int off = base + hh * hd;
            if (w.qNorm() != null) {
                VectorMath.rmsNorm(s.qkv, off, w.qNorm(), hd, eps, s.qkv, off);
            }
            rotary.rotate(s.qkv, off, pos);
        }
        KvCache cache = s.chunks.get(s.rowChunk[r]).cache();
        for (int g = 0; g < kvHeads; g++) {
            int off = kBase + g * hd;
            if (w.kNorm() != null) {
                VectorMath.rmsNorm(s.qkv, off, w.kNorm(), hd, eps, s.qkv, off);
            }
            rotary.rotate(s.qkv, off, pos);
            cache.put(l, g, pos, s.qkv, off, s.qkv, vBase + g * hd);
        }
    }

    /** Causal (optionally sliding-window) attention of one chunk's rows for one query head. */
    private void attention(int l, State s, int c, int head, int qkvDim) {
        Chunk ch = s.chunks.get(c);
        int n = ch.tokens().length;
        if (n == 0) {
            return;
        }
        int total = ch.cache().length() + n;
        Attend a = new Attend(l, s, c, head, qkvDim, ch.cache().chain(), new float[4 * total], total);
        int i = 0;
        // Four queries at a time share every key and value load.
        for (; i + 4 <= n; i += 4) {
            a.block(i);
        }
        for (; i < n; i++) {
            a.single(i);
        }
    }

    /** The state of one (chunk, head) attention task. */
    private final class Attend {
        private final int layer;
        private final State s;
        private final int rowStart;
        private final int p0;
        private final int qkvDim;
        private final int hd;
        private final int g;
        private final int head;
        private final int window;
        private final float scale;
        private final List<KvCache> chain;
        private final float[] scores;
        private final int stride;

        Attend(int layer, State s, int c, int head, int qkvDim, List<KvCache> chain, float[] scores, int stride) {
            this.layer = layer;
            this.s = s;
            this.rowStart = s.rowStart[c];
            this.p0 = s.chunks.get(c).cache().length();
            this.qkvDim = qkvDim;
            this.hd = config.headDim();
            this.head = head;
            this.g = head / (config.numHeads() / config.numKvHeads());
            this.window = config.slidingWindow(layer);
            this.scale = (float) (1.0 / Math.sqrt(hd));
            this.chain = chain;
            this.scores = scores;
            this.stride = stride;
        }

        private int lo(int pos) {
            return window > 0 ? Math.max(0, pos - window + 1) : 0;
        }

        /** End (exclusive) of chain segment k's positions, capped at hi. */
        private int segEnd(int k, int hi) {
            return k + 1 < chain.size() ? Math.min(hi, chain.get(k + 1).base()) : hi;
        }

        /** Queries i..i+3 of the chunk. */
        void block(int i) {
            int r = rowStart + i;
            int lo = lo(p0 + i);
            int hi = p0 + i + 4;
            int q0 = r * qkvDim + head * hd;
            for (int k = 0; k < chain.size(); k++) {
                KvCache seg = chain.get(k);
                int from = Math.max(lo, seg.base());
                int to = segEnd(k, hi);
                if (from < to) {
                    VectorMath.scores4(s.qkv, q0, qkvDim, hd, scale, seg.keysT(layer, g), seg.capacity(),
                            from - seg.base(), to - from, scores, stride, from);
                }
            }
            float[] inv = new float[4];
            for (int q = 0; q < 4; q++) {
                int off = q * stride;
                int qLo = lo(p0 + i + q);
                int qHi = p0 + i + q + 1;
                float max = VectorMath.max(scores, off + qLo, off + qHi);
                inv[q] = 1f / VectorMath.expInPlace(scores, off + qLo, off + qHi, max);
                // positions this query must not see (later ones, or before its window) weigh nothing
                java.util.Arrays.fill(scores, off + lo, off + qLo, 0f);
                java.util.Arrays.fill(scores, off + qHi, off + hi, 0f);
            }
            int qDim = config.qDim();
            int o0 = r * qDim + head * hd;
            for (int q = 0; q < 4; q++) {
                java.util.Arrays.fill(s.attn, o0 + q * qDim, o0 + q * qDim + hd, 0f);
            }
            for (int k = 0; k < chain.size(); k++) {
                KvCache seg = chain.get(k);
                int from = Math.max(lo, seg.base());
                int to = segEnd(k, hi);
                if (from < to) {
                    VectorMath.weightedSum4(scores, stride, from, to - from, seg.values(layer, g),
                            (from - seg.base()) * hd, hd, s.attn, o0, qDim);
                }
            }
            for (int q = 0; q < 4; q++) {
                int o = o0 + q * qDim;
                for (int d = 0; d < hd; d++) {
                    s.attn[o + d] *= inv[q];
                }
            }
        }

        /** Query i of the chunk alone. */
        void single(int i) {
            int r = rowStart + i;
            int pos = p0 + i;
            int lo = lo(pos);
            int hi = pos + 1;
            int q0 = r * qkvDim + head * hd;
            for (int k = 0; k < chain.size(); k++) {
                KvCache seg = chain.get(k);
                int from = Math.max(lo, seg.base());
                int to = segEnd(k, hi);
                if (from < to) {
                    VectorMath.scoresTransposed(s.qkv, q0, hd, scale, seg.keysT(layer, g), seg.capacity(),
                            from - seg.base(), to - from, scores, from);
                }
            }
            float max = VectorMath.max(scores, lo, hi);
            float inv = 1f / VectorMath.expInPlace(scores, lo, hi, max);
            int o0 = r * config.qDim() + head * hd;
            java.util.Arrays.fill(s.attn, o0, o0 + hd, 0f);
            for (int k = 0; k < chain.size(); k++) {
                KvCache seg = chain.get(k);
                int from = Math.max(lo, seg.base());
                int to = segEnd(k, hi);
                float[] v = seg.values(layer, g);
                for (int j = from; j < to; j++) {
                    VectorMath.axpy(scores[j], v, (j - seg.base()) * hd, s.attn, o0, hd);
                }
            }
            // normalise last, exactly as block() does, so decode and prefill round identically
            for (int d = 0; d < hd; d++) {
                s.attn[o0 + d] *= inv;
            }
        }
    }

    private Logits logits(List<Chunk> chunks, int[] rowStart, int[] logitStart, float[] x) {
        int h = config.hiddenSize();
        int vocab = config.vocabSize();
        int nLogits = logitStart[chunks.size()];
        float[] normed = new float[nLogits * h];
        float eps = streamEps[layers.size()];
        for (int c = 0; c < chunks.size(); c++) {
            Chunk ch = chunks.get(c);
            for (int j = 0; j < ch.logitRows(); j++) {
                int r = rowStart[c] + ch.logitsFrom() + j;
                VectorMath.rmsNorm(x, r * h, weights.finalNorm(), h, eps, normed, (logitStart[c] + j) * h);
            }
        }
        float[] logits = new float[Math.multiplyExact(nLogits, vocab)];
        Gemm.multiply(pool, normed, h, nLogits, weights.lmHead(), null, logits, vocab, false);
        return new Logits(logits, vocab, java.util.Arrays.copyOf(logitStart, chunks.size()));
    }
}
