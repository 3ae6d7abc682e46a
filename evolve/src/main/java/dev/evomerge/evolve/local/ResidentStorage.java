package dev.evomerge.evolve.local;

import dev.evomerge.core.safetensors.SafetensorsModel;
import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.TensorInfo;
import dev.evomerge.engine.WeightStorage;

import java.nio.file.Path;
import java.util.List;

/**
 * The element type the in-memory slot's resident model keeps its weight matrices in. A bf16 checkpoint merged in bf16
 * (the usual case) is held in bf16: the merged values are bf16 already, so nothing is lost, the resident model takes
 * half the memory of float32, and a merged tensor is copied in without widening. Merges that write another dtype
 * need float32 storage to keep their values exactly.
 */
final class ResidentStorage {

    private ResidentStorage() {
    }

    /** bf16 when every tensor of the checkpoint in {@code dir} is bf16, else float32. */
    static WeightStorage forCheckpoint(Path dir) {
        try (SafetensorsModel m = SafetensorsModel.open(dir)) {
            for (String name : m.tensorNames()) {
                if (m.info(name).map(TensorInfo::dtype).orElse(DType.F32) != DType.BF16) {
                    return WeightStorage.FLOAT32;
                }
            }
        }
        return WeightStorage.BFLOAT16;
    }

    /**
     * Whether {@code storage} holds every merged tensor exactly: float32 holds what the engine reads (f32, bf16,
     * f16), bf16 only bf16 values.
     */
    static boolean holdsExactly(WeightStorage storage, List<TensorInfo> merged) {
        if (storage == WeightStorage.FLOAT32) {
            return true;
        }
        return merged.stream().allMatch(t -> t.dtype() == DType.BF16);
    }
}
