package dev.evomerge.engine.model;

import dev.evomerge.engine.compute.PackedMatrix;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One decoder layer's resident weights. q/k/v projections are stacked into one matrix ({@code qkv}: q rows, then k,
 * then v) and gate/up into another ({@code gateUp}: gate rows, then up) so each is one GEMM. Optional parts are
 * null when the architecture/config has none. Contents are mutable (merges write into them); the layout is not.
 */
public record LayerWeights(TransformerConfig config, float[] inputNorm, PackedMatrix qkv, float[] qkvBias,
                           float[] qNorm, float[] kNorm, PackedMatrix o, float[] oBias, float[] postNorm,
                           PackedMatrix gateUp, float[] gateUpBias, PackedMatrix down, float[] downBias) {

    /** Zero weights shaped by {@code config}; matrices in bf16 when {@code bf16}. */
    public static LayerWeights allocate(TransformerConfig config, boolean bf16) {
        int h = config.hiddenSize();
        int qkvRows = config.qDim() + 2 * config.kvDim();
        int inter = config.intermediateSize();
        return new LayerWeights(config,
                new float[h],
                PackedMatrix.zeros(qkvRows, h, bf16),
                config.qkvBias() ? new float[qkvRows] : null,
                config.qkNorm() ? new float[config.headDim()] : null,
                config.qkNorm() ? new float[config.headDim()] : null,
                PackedMatrix.zeros(h, config.qDim(), bf16),
                config.oBias() ? new float[h] : null,
                new float[h],
                PackedMatrix.zeros(2 * inter, h, bf16),
                config.mlpBias() ? new float[2 * inter] : null,
                PackedMatrix.zeros(h, inter, bf16),
                config.mlpBias() ? new float[h] : null);
    }

    /** The layer's tensors by their name inside a layer ({@code self_attn.q_proj.weight}), in a fixed order. */
    public Map<String, WeightSlot> slots() {
        int q = config.qDim();
        int kv = config.kvDim();
        int inter = config.intermediateSize();
        Map<String, WeightSlot> s = new LinkedHashMap<>();
        s.put("input_layernorm.weight", vector(inputNorm));
        s.put("self_attn.q_proj.weight", new WeightSlot.MatrixSlot(qkv, 0, q));
        s.put("self_attn.k_proj.weight", new WeightSlot.MatrixSlot(qkv, q, kv));
        s.put("self_attn.v_proj.weight", new WeightSlot.MatrixSlot(qkv, q + kv, kv));
        if (qkvBias != null) {
            s.put("self_attn.q_proj.bias", new WeightSlot.VectorSlot(qkvBias, 0, q));
            s.put("self_attn.k_proj.bias", new WeightSlot.VectorSlot(qkvBias, q, kv));
            s.put("self_attn.v_proj.bias", new WeightSlot.VectorSlot(qkvBias, q + kv, kv));
        }
        if (qNorm != null) {
            s.put("self_attn.q_norm.weight", vector(qNorm));
            s.put("self_attn.k_norm.weight", vector(kNorm));
        }
        s.put("self_attn.o_proj.weight", new WeightSlot.MatrixSlot(o, 0, o.rows()));
        if (oBias != null) {
            s.put("self_attn.o_proj.bias", vector(oBias));
        }
        s.put("post_attention_layernorm.weight", vector(postNorm));
        s.put("mlp.gate_proj.weight", new WeightSlot.MatrixSlot(gateUp, 0, inter));
        s.put("mlp.up_proj.weight", new WeightSlot.MatrixSlot(gateUp, inter, inter));
        s.put("mlp.down_proj.weight", new WeightSlot.MatrixSlot(down, 0, down.rows()));
        if (gateUpBias != null) {
            s.put("mlp.gate_proj.bias", new WeightSlot.VectorSlot(gateUpBias, 0, inter));
            s.put("mlp.up_proj.bias", new WeightSlot.VectorSlot(gateUpBias, inter, inter));
            s.put("mlp.down_proj.bias", vector(downBias));
        }
        return s;
    }

    private static WeightSlot vector(float[] v) {
        return new WeightSlot.VectorSlot(v, 0, v.length);
    }

    /** Whether a layer of {@code other} can run in a model with this layer's shapes. */
    public boolean compatibleWith(LayerWeights other) {
        TransformerConfig a = config;
        TransformerConfig b = other.config;
        return a.architecture() == b.architecture() && a.hiddenSize() == b.hiddenSize()
                && a.numHeads() == b.numHeads() && a.numKvHeads() == b.numKvHeads() && a.headDim() == b.headDim()
                && a.intermediateSize() == b.intermediateSize() && a.qkvBias() == b.qkvBias()
                && a.oBias() == b.oBias() && a.mlpBias() == b.mlpBias() && a.qkNorm() == b.qkNorm();
    }

    /** Resident bytes of this layer. */
    public long byteSize() {
        long floats = inputNorm.length + postNorm.length + len(qkvBias) + len(qNorm) + len(kNorm) + len(oBias)
                + len(gateUpBias) + len(downBias);
        return 4 * floats + qkv.byteSize() + o.byteSize() + gateUp.byteSize() + down.byteSize();
    }

    private static long len(float[] v) {
        return v == null ? 0 : v.length;
    }
}
