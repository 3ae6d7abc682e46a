package dev.evomerge.engine.infer;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.model.ModelConfig;
import dev.evomerge.core.tensor.RowBlockTarget;
import dev.evomerge.core.tensor.Tensor;
import dev.evomerge.core.tensor.TensorInfo;
import dev.evomerge.core.tensor.TensorSink;
import dev.evomerge.core.tensor.TensorSource;
import dev.evomerge.engine.CausalLanguageModel;
import dev.evomerge.engine.Generation;
import dev.evomerge.engine.GenerationRequest;
import dev.evomerge.engine.LayerPointer;
import dev.evomerge.engine.LoadOptions;
import dev.evomerge.engine.LoglikelihoodRequest;
import dev.evomerge.engine.LoglikelihoodResult;
import dev.evomerge.engine.ModelSpec;
import dev.evomerge.engine.RollingLoglikelihood;
import dev.evomerge.engine.SequenceLogprobs;
import dev.evomerge.engine.WeightStorage;
import dev.evomerge.engine.compute.WorkerPool;
import dev.evomerge.engine.model.LayerWeights;
import dev.evomerge.engine.model.ModelWeights;
import dev.evomerge.engine.model.TransformerConfig;
import dev.evomerge.engine.model.WeightLoader;
import dev.evomerge.engine.model.WeightSlot;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** The in-JVM {@link CausalLanguageModel}: resident weights, a worker pool, and the scoring/generation front ends. */
public final class TransformerModel implements CausalLanguageModel {

    /** Activation floats one forward pass may use (rows are bounded so that activations stay near 256 MiB). */
    private static final long ACTIVATION_BUDGET = 1L << 26;
    /** Logit floats one forward pass may produce (128 MiB). */
    private static final long LOGIT_BUDGET = 1L << 25;
    /** Cached context tokens per scoring batch. */
    private static final int CACHE_BUDGET_TOKENS = 8192;

    private final TransformerConfig config;
    private final ModelWeights weights;
    private final WorkerPool pool;
    private final RotaryTable rotary;
    private final int maxRows;
    private final int maxLogitRows;
    private List<LayerWeights> sequence;
    /** Reused buffers for merges into the resident weights (see {@link #weightSink()}); allocated when first used. */
    private final MergeTargets mergeTargets;
    private List<LayerPointer> pointers;
    /** The pointers' input scales as the forward pass applies them, or null when every one is 1. */
    private float[] inputScales;
    private boolean closed;
    /** Token rows run through the decoder so far (lets tests see that shared contexts are computed once). */
    private final LongAdder rowsComputed = new LongAdder();

    private TransformerModel(TransformerConfig config, ModelWeights weights, int threads) {
        this.config = config;
        this.weights = weights;
        this.pool = new WorkerPool(threads);
        this.rotary = new RotaryTable(config);
        long perRow = 2L * config.hiddenSize() + config.qDim() * 2L + 2L * config.kvDim()
                + 3L * config.intermediateSize();
        this.maxRows = (int) Math.max(16, Math.min(4096, ACTIVATION_BUDGET / perRow));
        this.maxLogitRows = (int) Math.max(1, Math.min(maxRows, LOGIT_BUDGET / config.vocabSize()));
        this.sequence = weights.layers();
        long largest = 0;
        for (WeightSlot slot : weights.slots(sequence).values()) {
            largest = Math.max(largest, 2 * slot.shape().numel());
        }
        this.mergeTargets = new MergeTargets(largest);
        List<LayerPointer> p = new ArrayList<>();
        for (int i = 0; i < sequence.size(); i++) {
            p.add(new LayerPointer(this, i));
        }
        this.pointers = List.copyOf(p);
    }

    /** Loads config.json and the safetensors weights of {@code dir}. */
    public static CausalLanguageModel load(Path dir, LoadOptions options) {
        Path configFile = dir.resolve("config.json");
        if (!Files.isRegularFile(configFile)) {
            throw EvomergeException.usage("Model directory " + dir + " has no config.json.");
        }
        TransformerConfig config = TransformerConfig.from(ModelConfig.read(configFile));
        ModelWeights weights = WeightLoader.load(dir, config, options.weightStorage() == WeightStorage.BFLOAT16,
                options.listener());
        return new TransformerModel(config, weights, options.threads());
    }

    /** A model over already-loaded weights (tests, synthetic models). */
    public static TransformerModel of(TransformerConfig config, ModelWeights weights, int threads) {
        return new TransformerModel(config, weights, threads);
    }

    /** Token rows run through the decoder layers since loading. */
    public long rowsComputed() {
        return rowsComputed.sum();
    }

    public TransformerConfig config() {
        return config;
    }

    @Override
    public synchronized ModelSpec spec() {
        return new ModelSpec(config.architecture().className(), config.vocabSize(), config.hiddenSize(),
                sequence.size(), config.numHeads(), config.numKvHeads(), config.headDim(),
                config.intermediateSize(), config.contextLength(), config.bosTokenId(), config.eosTokenIds(),
                config.tiedEmbeddings());
    }

    private ForwardPass forward() {
        if (closed) {
            throw new IllegalStateException("the model is closed");
        }
        return new ForwardPass(config, weights, sequence, inputScales, rotary, pool, rowsComputed);
    }

    private KvCache newCache() {
        return KvCache.empty(sequence.size(), config.numKvHeads(), config.headDim());
    }

    private Scorer scorer() {
        return new Scorer(new ChunkBatcher(forward(), maxRows, maxLogitRows), this::newCache, config.vocabSize(),
                Math.max(CACHE_BUDGET_TOKENS, config.contextLength()));
    }

    private void checkIds(int[] ids, String what) {
        for (int id : ids) {
            if (id < 0 || id >= config.vocabSize()) {
                throw EvomergeException.usage("Token id " + id + " in a " + what + " is outside the model's vocabulary"
                        + " (0.." + (config.vocabSize() - 1) + ").");
            }
        }
    }

    @Override
    public synchronized List<LoglikelihoodResult> logLikelihood(List<LoglikelihoodRequest> requests) {
        for (LoglikelihoodRequest r : requests) {
            checkIds(r.context(), "loglikelihood context");
            checkIds(r.continuation(), "loglikelihood continuation");
        }
        return scorer().logLikelihood(requests, config.contextLength());
    }

    @Override
    public synchronized List<SequenceLogprobs> tokenLogprobs(List<int[]> sequences, int topN) {
        if (topN < 0) {
            throw new IllegalArgumentException("topN must not be negative");
        }
        for (int[] ids : sequences) {
            if (ids.length == 0) {
                throw EvomergeException.usage("Cannot score an empty token sequence.");
            }
            if (ids.length > config.contextLength()) {
                throw EvomergeException.usage("A sequence of " + ids.length + " tokens is longer than the model's"
                        + " context length " + config.contextLength() + ".");
            }
            checkIds(ids, "scored sequence");
        }
        return scorer().tokenLogprobs(sequences, topN);
    }

    @Override
    public synchronized RollingLoglikelihood loglikelihoodRolling(int[] ids, int prefixTokenId, int maxLength) {
        if (maxLength < 1 || maxLength > config.contextLength()) {
            throw EvomergeException.usage("Rolling window length " + maxLength + " must be between 1 and the model's"
                    + " context length " + config.contextLength() + ".");
        }
        checkIds(ids, "rolling loglikelihood document");
        checkIds(new int[]{prefixTokenId}, "rolling loglikelihood prefix");
        return scorer().rolling(ids, prefixTokenId, maxLength);
    }

    @Override
    public synchronized List<Generation> generate(List<GenerationRequest> requests) {
        for (GenerationRequest r : requests) {
            int[] prompt = r.prompt();
            if (prompt.length > config.contextLength()) {
                throw EvomergeException.usage("A prompt of " + prompt.length + " tokens is longer than the model's"
                        + " context length " + config.contextLength() + ".");
            }
            checkIds(prompt, "generation prompt");
        }
        Generator g = new Generator(new ChunkBatcher(forward(), maxRows, maxLogitRows), this::newCache,
                config.vocabSize(), config.contextLength());
        return g.generate(requests);
    }

    @Override
    public TensorSink weightSink() {
        return new TensorSink() {
            /** The row targets handed out (see {@link #rowTarget}) whose tensor has not been accepted yet. */
            private final Map<String, PackedRows> rowTargets = new ConcurrentHashMap<>();

            @Override
            public void accept(String name, Tensor tensor) {
                try {
                    PackedRows rows = rowTargets.remove(name);
                    synchronized (TransformerModel.this) {
                        WeightSlot slot = slotOrThrow(name);
                        WeightLoader.check(new TensorInfo(name, tensor.dtype(), tensor.shape()), slot,
                                "the tensors written to the resident model");
                        if (rows == null || !rows.complete()) {
                            // the model's worker threads are idle here: generation holds the same lock
                            slot.write(tensor, pool);
                        }
                    }
                } finally {
                    mergeTargets.giveBack(tensor);
                }
            }

            /**
             * For a bf16 weight matrix whose {@link #target} a merge took: its rows, packed as they arrive (see
             * {@link PackedRows}). Like the copies of accept, these writes are not meant to overlap an evaluation
             * of the model: a caller merges a whole candidate before evaluating it.
             */
            @Override
            public RowBlockTarget rowTarget(String name) {
                WeightSlot.MatrixSlot m = bf16Matrix(name);
                if (m == null) {
                    return null;
                }
                PackedRows rows = new PackedRows(m);
                rowTargets.put(name, rows);
                return rows;
            }

            /**
             * For a bf16 weight matrix: a reused buffer (see {@link MergeTargets}) that accept then packs into the
             * matrix without a float copy. Other slots take the merge's own output.
             */
            @Override
            public Tensor target(String name) {
                WeightSlot.MatrixSlot m = bf16Matrix(name);
                return m == null ? null : mergeTargets.take(m.shape());
            }

            @Override
            public void commit() {
                // Every accept wrote its tensor completely; nothing is pending.
            }

            @Override
            public void close() {
                // Writes go straight into the resident weights and are not undone.
            }
        };
    }

    /** The slot of {@code name} when it is a matrix stored in bf16; null otherwise. */
    private synchronized WeightSlot.MatrixSlot bf16Matrix(String name) {
        return weights.slot(name, sequence).orElse(null) instanceof WeightSlot.MatrixSlot m && m.matrix().isBf16()
                ? m : null;
    }

    private WeightSlot slotOrThrow(String name) {
        return weights.slot(name, sequence).orElseThrow(() -> EvomergeException.usage("Tensor '" + name
                + "' is not a weight of the resident " + config.architecture().className() + " model ("
                + sequence.size() + " layers" + (config.tiedEmbeddings() ? ", tied embeddings" : "") + ")."));
    }

    @Override
    public TensorSource weightSource() {
        return new TensorSource() {
            @Override
            public List<String> tensorNames() {
                synchronized (TransformerModel.this) {
                    return List.copyOf(weights.slots(sequence).keySet());
                }
            }

            @Override
            public Optional<TensorInfo> info(String name) {
                synchronized (TransformerModel.this) {
                    return weights.slot(name, sequence).map(s -> new TensorInfo(name,
                            dev.evomerge.core.tensor.DType.F32, s.shape()));
                }
            }

            @Override
            public Tensor tensor(String name) {
                synchronized (TransformerModel.this) {
                    return slotOrThrow(name).read();
                }
            }

            @Override
            public String description() {
                return "the resident " + config.architecture().className() + " model";
            }
        };
    }

    @Override
    public synchronized List<LayerPointer> layers() {
        return pointers;
    }

    @Override
    public synchronized void setLayers(List<LayerPointer> layers) {
        if (layers.isEmpty()) {
            throw EvomergeException.usage("A layer sequence needs at least one layer.");
        }
        List<LayerWeights> resolved = new ArrayList<>();
        for (int i = 0; i < layers.size(); i++) {
            LayerPointer p = layers.get(i);
            if (!(p.source() instanceof TransformerModel src)) {
                throw EvomergeException.usage("Layer " + i + " of the new sequence points at a model the engine did"
                        + " not load.");
            }
            List<LayerWeights> own = src.weights.layers();
            if (p.layer() < 0 || p.layer() >= own.size()) {
                throw EvomergeException.usage("Layer " + i + " of the new sequence points at layer " + p.layer()
                        + " of a model with " + own.size() + " layers.");
            }
            if (!(p.inputScale() > 0) || !Double.isFinite((float) p.inputScale())) {
                // zero or a negative factor erases or flips the stream, which RMSNorm does not undo, so such a path
                // has no passthrough equivalent (docs/evolution.md); NaN and overflow are refused with it
                throw EvomergeException.usage("Layer " + i + " of the new sequence scales its input by "
                        + p.inputScale() + ": an input scale must be a finite number greater than 0.");
            }
            LayerWeights lw = own.get(p.layer());
            if (!weights.layers().getFirst().compatibleWith(lw)) {
                throw EvomergeException.usage("Layer " + i + " of the new sequence (layer " + p.layer() + " of a "
                        + src.config.architecture().className() + ") has different shapes from this model's layers.");
            }
            resolved.add(lw);
        }
        float[] scales = new float[layers.size()];
        boolean scaled = false;
        for (int i = 0; i < scales.length; i++) {
            scales[i] = (float) layers.get(i).inputScale();
            scaled |= scales[i] != 1f;
        }
        this.sequence = List.copyOf(resolved);
        this.pointers = List.copyOf(layers);
        this.inputScales = scaled ? scales : null;
    }

    @Override
    public synchronized void close() {
        closed = true;
        pool.close();
        mergeTargets.close();
    }
}
