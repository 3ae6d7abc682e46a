package dev.evomerge.merge.method;

import dev.evomerge.core.tensor.Tensor;

import java.lang.foreign.Arena;
import java.util.List;

/**
 * One mergekit merge method as tensor math: what it reads from the config and how it combines the input tensors of
 * one output tensor. Implementations are stateless and thread-safe; adding a method is one class plus a line in
 * {@link MergeMethods}.
 */
public interface MergeMethod {

    /** The name used in {@code merge_method:} (e.g. "dare_ties"). */
    String name();

    /** Every parameter the method reads; anything else in a config is ignored, as in mergekit. */
    List<ParameterSpec> parameters();

    /** The role of the configured base model. */
    BaseModelUse baseModelUse();

    /** Accepted number of non-base inputs in a config. */
    InputArity arity();

    /**
     * Merges the inputs of one output tensor. The result is a new tensor in {@code in.workDtype()} (the caller casts to
     * out_dtype). Throws EvomergeException.usage for config errors found here (missing required parameter, della
     * epsilon out of range, missing base tensor, incompatible shapes), naming the method, parameter and tensor.
     */
    Tensor merge(MergeInputs in);

    /**
     * As {@link #merge(MergeInputs)}, but the result may be allocated in {@code arena}, which the caller closes as
     * soon as it has consumed the result (so a large merge frees each output tensor at once instead of waiting for
     * the garbage collector). Methods that do not override this allocate as {@link #merge(MergeInputs)} does.
     */
    default Tensor merge(MergeInputs in, Arena arena) {
        return merge(in);
    }

    /** The declared parameter with this name, or null. */
    default ParameterSpec parameter(String name) {
        for (ParameterSpec p : parameters()) {
            if (p.name().equals(name)) {
                return p;
            }
        }
        return null;
    }
}
