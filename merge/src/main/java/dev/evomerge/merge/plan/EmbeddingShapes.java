package dev.evomerge.merge.plan;

import dev.evomerge.core.tensor.Shape;

import java.util.List;
import java.util.Set;

/**
 * The output shape of an embedding whose inputs differ in vocabulary size and no tokenizer config aligns them, as
 * mergekit shapes it (docs/compatibility.md lists where evomerge differs): some methods crop every input to the
 * common top-left block, the task-arithmetic family crops the other models to the base's shape, the rest need equal
 * shapes.
 */
final class EmbeddingShapes {

    private static final Set<String> CROP_TO_SMALLEST =
            Set.of("linear", "slerp", "nuslerp", "model_stock", "arcee_fusion");
    private static final Set<String> CROP_TO_BASE = Set.of("task_arithmetic", "ties", "dare_ties", "dare_linear",
            "breadcrumbs", "breadcrumbs_ties", "della", "della_linear");

    private EmbeddingShapes() {
    }

    /** Whether the method crops the other models to the base's shape (the task-arithmetic family). */
    static boolean cropsToBase(String method) {
        return CROP_TO_BASE.contains(method);
    }

    /**
     * The output shape, or null when the method cannot reconcile the shapes.
     *
     * @param base index of the base input, or -1
     */
    static Shape outputShape(String method, List<Shape> shapes, int base) {
        if (shapes.stream().allMatch(s -> s.equals(shapes.getFirst()))) {
            return shapes.getFirst();
        }
        if (shapes.stream().anyMatch(s -> s.rank() != 2)) {
            return null;
        }
        if (CROP_TO_SMALLEST.contains(method)) {
            long rows = shapes.stream().mapToLong(s -> s.dim(0)).min().orElseThrow();
            long cols = shapes.stream().mapToLong(s -> s.dim(1)).min().orElseThrow();
            return Shape.of(rows, cols);
        }
        if (CROP_TO_BASE.contains(method) && base >= 0) {
            Shape b = shapes.get(base);
            // Other models are cropped to the base; one smaller than the base cannot be.
            for (Shape s : shapes) {
                if (s.dim(0) < b.dim(0) || s.dim(1) < b.dim(1)) {
                    return null;
                }
            }
            return b;
        }
        return null;
    }
}
