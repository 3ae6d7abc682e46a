package dev.evomerge.merge.plan;

import dev.evomerge.core.tensor.TensorInfo;
import dev.evomerge.merge.config.ModelReference;

/**
 * One model's contribution to an output tensor.
 *
 * @param model      the model
 * @param weightName the architecture's name of the input weight: per-model parameter filters match against it
 * @param storedName the tensor actually read (differs from {@code weightName} when a tied name stands in, e.g. a
 *                   model without lm_head contributes its embed_tokens)
 * @param stored     dtype and shape as stored
 */
public record JobInput(ModelReference model, String weightName, String storedName, TensorInfo stored) {
}
