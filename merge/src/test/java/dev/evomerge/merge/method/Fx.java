package dev.evomerge.merge.method;

import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.Shape;
import dev.evomerge.core.tensor.Tensor;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Test fixtures: small tensors, inputs and injected masks. */
final class Fx {

    private Fx() {
    }

    /**
     * A tensor of dtype d holding these values: F32 rounds each value to float; 16-bit dtypes require the values to be
     * representable (so bf16/fp16 expectations stay hand-checkable).
     */
    static Tensor t(DType d, long[] shape, double... v) {
        Tensor t = Tensor.allocate(d, Shape.of(shape));
        for (int i = 0; i < v.length; i++) {
            t.setDouble(i, v[i]);
            if (d != DType.F32 && t.getDouble(i) != v[i] && !Double.isNaN(v[i])) {
                throw new IllegalArgumentException(v[i] + " is not representable in " + d);
            }
        }
        return t;
    }

    static Tensor f32(double... v) {
        return t(DType.F32, new long[] {v.length}, v);
    }

    static Tensor bf16(double... v) {
        return t(DType.BF16, new long[] {v.length}, v);
    }

    static long[] shape(long... dims) {
        return dims;
    }

    static float[] values(Tensor t) {
        float[] out = new float[Math.toIntExact(t.numel())];
        for (int i = 0; i < out.length; i++) {
            out[i] = t.getFloat(i);
        }
        return out;
    }

    static double[] doubles(Tensor t) {
        double[] out = new double[Math.toIntExact(t.numel())];
        for (int i = 0; i < out.length; i++) {
            out[i] = t.getDouble(i);
        }
        return out;
    }

    /** Parameters from alternating name/value pairs. */
    static Map<String, Double> p(Object... kv) {
        Map<String, Double> m = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            Object v = kv[i + 1];
            m.put((String) kv[i], v instanceof Boolean b ? (b ? 1.0 : 0.0) : ((Number) v).doubleValue());
        }
        return m;
    }

    static MergeInputs.InputTensor in(String model, Tensor t, Object... kv) {
        return new MergeInputs.InputTensor(model, t, p(kv));
    }

    /** Inputs of one output tensor named "w" (dtype taken from the first input). */
    static MergeInputs merge(String base, Map<String, Double> globals, MergeInputs.InputTensor... ins) {
        return new MergeInputs("model.layers.0.mlp.w", false, List.of(ins), base, globals,
                ins[0].tensor().dtype(), null, null);
    }

    static Tensor run(String method, MergeInputs in) {
        return MergeMethods.byName(method).merge(in);
    }

    /** A mask source returning fixed keep masks per model and recording what was asked. */
    static final class FixedMasks implements MaskSource {
        final Map<String, byte[]> byModel = new HashMap<>();
        final List<MaskKey> keys = new ArrayList<>();
        final List<Double> probabilities = new ArrayList<>();
        final List<float[]> perElement = new ArrayList<>();
        int[] permutation;

        FixedMasks mask(String model, int... keep) {
            byte[] b = new byte[keep.length];
            for (int i = 0; i < keep.length; i++) {
                b[i] = (byte) keep[i];
            }
            byModel.put(model, b);
            return this;
        }

        @Override
        public void bernoulli(MaskKey key, double p, byte[] keep) {
            keys.add(key);
            probabilities.add(p);
            System.arraycopy(byModel.get(key.model()), 0, keep, 0, keep.length);
        }

        @Override
        public void bernoulli(MaskKey key, float[] p, byte[] keep) {
            keys.add(key);
            perElement.add(p.clone());
            System.arraycopy(byModel.get(key.model()), 0, keep, 0, keep.length);
        }

        @Override
        public int[] permutationPrefix(MaskKey key, int n, int k) {
            keys.add(key);
            int[] out = new int[k];
            for (int i = 0; i < k; i++) {
                out[i] = permutation != null ? permutation[i] : i;
            }
            return out;
        }
    }
}
