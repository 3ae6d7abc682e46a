package dev.evomerge.engine;

/** The element type resident weights are kept in; matmuls read it directly and accumulate in float32. */
public enum WeightStorage {
    /** 4 bytes per weight; fastest prompt processing. */
    FLOAT32,
    /** 2 bytes per weight (round-to-nearest-even from the checkpoint); lossless for bf16 checkpoints. */
    BFLOAT16
}
