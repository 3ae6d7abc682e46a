package dev.evomerge.eval.reload;

import dev.evomerge.core.safetensors.SafetensorsModel;
import dev.evomerge.core.safetensors.StagedTensorReader;
import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.TensorInfo;
import dev.evomerge.core.tensor.TensorSink;
import dev.evomerge.engine.CausalLanguageModel;
import dev.evomerge.engine.LoadOptions;
import dev.evomerge.engine.WeightStorage;
import dev.evomerge.engine.load.ModelLoader;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The in-JVM engine's probe answer for candidate directories ({@link ReloadProbe#of}), what a reloaded server must
 * match. {@link #kept()} keeps the model of the last candidate and overwrites its weights in place with the next
 * candidate's when both have the same config.json and the same tensors (names, dtypes, shapes): an evolution's
 * candidates do, and a load of a 760M-parameter model (the JVM's start aside, what a fresh server pays) cost about
 * 10 CPU-seconds per candidate, an in-place write and the probe about 0.9 (docs/benchmarks.md, "Server pool reload").
 * The values are those of a fresh load: the same weight sink writes them. A candidate of another shape, or a write
 * that fails half-way, loads the model afresh ({@link #loads()} counts every load). Thread-safe: the servers of a
 * pool share one, one candidate at a time.
 */
public final class InJvmProbe implements AutoCloseable {

    /** What must be equal for an in-place write to give a freshly loaded model's weights. */
    private record Layout(String configJson, List<TensorInfo> tensors) {
    }

    private final boolean keep;
    private final StagedTensorReader reader = new StagedTensorReader();
    private CausalLanguageModel model;
    private Layout layout;
    private int loads;

    private InJvmProbe(boolean keep) {
        this.keep = keep;
    }

    /** Keeps the last candidate's model between calls (its memory: about 2 bytes a parameter for bf16 weights). */
    public static InJvmProbe kept() {
        return new InJvmProbe(true);
    }

    /** Loads each candidate and closes it again ({@link ReloadProbe#inJvm}): nothing is held between calls. */
    public static InJvmProbe loadingEach() {
        return new InJvmProbe(false);
    }

    /** The engine's answer for the model in {@code modelDir}. */
    public synchronized ProbeLogprobs of(Path modelDir, int[] tokens) {
        if (!keep) {
            loads++;
            return ReloadProbe.inJvm(modelDir, tokens);
        }
        Layout next = layoutOf(modelDir);
        if (model != null && next != null && next.equals(layout)) {
            try {
                overwrite(modelDir);
                return ReloadProbe.of(model, tokens);
            } catch (RuntimeException e) {
                drop(); // half-written weights: load this candidate afresh below
            }
        }
        drop();
        if (next == null) {
            loads++;
            return ReloadProbe.inJvm(modelDir, tokens); // no config.json: the loader says what is wrong
        }
        boolean allBf16 = next.tensors().stream().allMatch(t -> t.dtype() == DType.BF16);
        model = ModelLoader.load(modelDir, LoadOptions.defaults()
                .withWeightStorage(allBf16 ? WeightStorage.BFLOAT16 : WeightStorage.FLOAT32));
        layout = next;
        loads++;
        return ReloadProbe.of(model, tokens);
    }

    /**
     * The reference a reloaded server must match for {@code modelDir}: the engine's answer when the model has at most
     * {@code settings}' in-JVM parameter limit, else empty (the previous candidate's probe is compared instead).
     */
    public Optional<ProbeLogprobs> reference(Path modelDir, int[] tokens, ProbeSettings settings) {
        if (ReloadProbe.parameterCount(modelDir) > settings.inJvmMaxParameters()) {
            return Optional.empty();
        }
        return Optional.of(of(modelDir, tokens));
    }

    /** How many times a model was loaded from disk (the in-place writes not counted). */
    public synchronized int loads() {
        return loads;
    }

    private void overwrite(Path modelDir) {
        try (SafetensorsModel source = SafetensorsModel.open(modelDir);
             StagedTensorReader.Session staged = reader.open(source)) {
            TensorSink sink = model.weightSink();
            for (String name : model.weightSource().tensorNames()) {
                sink.accept(name, staged.tensor(name)); // read into a reused buffer, as the server's reload does
            }
            sink.commit();
        }
    }

    /** The directory's config.json and tensor headers, or null without a readable config.json. */
    private static Layout layoutOf(Path modelDir) {
        String config;
        try {
            config = Files.readString(modelDir.resolve("config.json"));
        } catch (IOException e) {
            return null;
        }
        try (SafetensorsModel m = SafetensorsModel.open(modelDir)) {
            List<TensorInfo> infos = new ArrayList<>();
            for (String name : m.tensorNames().stream().sorted().toList()) {
                m.info(name).ifPresent(infos::add);
            }
            return new Layout(config, infos);
        }
    }

    private void drop() {
        if (model != null) {
            model.close();
            model = null;
            layout = null;
        }
    }

    @Override
    public synchronized void close() {
        drop();
    }
}
