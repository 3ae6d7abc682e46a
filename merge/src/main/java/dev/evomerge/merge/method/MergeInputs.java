package dev.evomerge.merge.method;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.RowBlockTarget;
import dev.evomerge.core.tensor.Shape;
import dev.evomerge.core.tensor.Tensor;

import java.lang.foreign.Arena;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Everything a merge method needs for one output tensor.
 *
 * @param tensorName   output tensor name (used in error messages, mask keys and cache keys)
 * @param isEmbed      whether the architecture flags the weight as an embedding (embed_tokens, lm_head): enables
 *                     the cropping of inputs whose vocabulary sizes differ (see {@link Shapes})
 * @param inputs       the inputs in mergekit dict order (slice source order; the base, when present, is one of them)
 * @param baseModel    model id of the base input, or null when there is none
 * @param globalParams resolved global parameters that the config sets (after precedence, filters and gradients); an
 *                     absent key means "not set" and the method applies its default
 * @param workDtype    dtype all inputs were cast to and that the math runs in (config dtype, else stored dtype)
 * @param masks        random source for dare/della/arcee_fusion sampling (seeded; tests inject fixed masks)
 * @param cache        optional reuse cache for task vectors and sorted magnitudes across repeated merges of the
 *                     same plan; null disables caching
 * @param target       optional: asked at most once, the output tensor's final memory (see {@link #output}); null
 *                     or a supplier of null when there is none
 */
public record MergeInputs(String tensorName, boolean isEmbed, List<InputTensor> inputs, String baseModel,
                          Map<String, Double> globalParams, DType workDtype, MaskSource masks,
                          TaskVectorCache cache, Supplier<Tensor> target) {

    /**
     * One model's tensor and its resolved per-model parameters (absent key = not set in the config).
     *
     * @param model  model id (the reference string as written in the config); unique within one MergeInputs
     * @param tensor the tensor, already cast to the work dtype
     * @param params resolved per-model parameters (weight, density, gamma, epsilon, scale)
     */
    public record InputTensor(String model, Tensor tensor, Map<String, Double> params) {
        public InputTensor {
            Objects.requireNonNull(model, "model");
            Objects.requireNonNull(tensor, "tensor");
            params = Map.copyOf(params);
        }
    }

    public MergeInputs {
        Objects.requireNonNull(tensorName, "tensorName");
        inputs = List.copyOf(inputs);
        globalParams = Map.copyOf(globalParams);
        Objects.requireNonNull(workDtype, "workDtype");
        if (masks == null) {
            masks = MaskSource.unseeded();
        }
        if (baseModel != null && inputs.stream().noneMatch(i -> i.model().equals(baseModel))) {
            throw EvomergeException.usage("Base model " + baseModel + " has no input for tensor " + tensorName + ".");
        }
        for (InputTensor i : inputs) {
            if (i.tensor().dtype() != workDtype) {
                throw new IllegalArgumentException("input " + i.model() + " of " + tensorName + " is "
                        + i.tensor().dtype() + ", expected work dtype " + workDtype);
            }
        }
    }

    /** Inputs without an output target. */
    public MergeInputs(String tensorName, boolean isEmbed, List<InputTensor> inputs, String baseModel,
                       Map<String, Double> globalParams, DType workDtype, MaskSource masks, TaskVectorCache cache) {
        this(tensorName, isEmbed, inputs, baseModel, globalParams, workDtype, masks, cache, null);
    }

    /**
     * Memory for a result that a method writes element by element without reading it back: the output's final
     * place (a resident weight, the file writer's reused output buffer) when the caller offered one of this dtype
     * and shape, so that nothing is copied afterwards; otherwise a new tensor in {@code arena}.
     */
    public Tensor output(DType dtype, Shape shape, Arena arena) {
        Tensor t = target == null ? null : target.get();
        if (t != null && t.dtype() == dtype && t.shape().equals(shape)) {
            return t;
        }
        return Tensor.allocate(dtype, shape, arena);
    }

    /**
     * For a method that computes {@code out} (from {@link #output}) a block of rows at a time: where to hand each
     * block over instead of writing it into {@code out} (see {@link OutputTarget}); null when it must write
     * {@code out}.
     */
    public RowBlockTarget rowTarget(Tensor out) {
        return target instanceof OutputTarget t ? t.rows(out) : null;
    }

    /** Inputs without caching or randomness: for deterministic methods and tests. */
    public static MergeInputs of(String tensorName, List<InputTensor> inputs, String baseModel,
                                 Map<String, Double> globalParams, DType workDtype) {
        return new MergeInputs(tensorName, false, inputs, baseModel, globalParams, workDtype, null, null);
    }

    /** The base input, or null. */
    public InputTensor base() {
        if (baseModel == null) {
            return null;
        }
        for (InputTensor i : inputs) {
            if (i.model().equals(baseModel)) {
                return i;
            }
        }
        return null;
    }

    /** The non-base inputs in dict order. */
    public List<InputTensor> others() {
        return inputs.stream().filter(i -> !i.model().equals(baseModel)).toList();
    }

    /** Same inputs with another mask source. */
    public MergeInputs withMasks(MaskSource m) {
        return new MergeInputs(tensorName, isEmbed, inputs, baseModel, globalParams, workDtype, m, cache, target);
    }

    /** Same inputs with a reuse cache. */
    public MergeInputs withCache(TaskVectorCache c) {
        return new MergeInputs(tensorName, isEmbed, inputs, baseModel, globalParams, workDtype, masks, c, target);
    }

    /** Same inputs flagged as an embedding. */
    public MergeInputs asEmbed() {
        return new MergeInputs(tensorName, true, inputs, baseModel, globalParams, workDtype, masks, cache, target);
    }
}
