package dev.evomerge.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.evomerge.core.safetensors.SafetensorsModel;
import dev.evomerge.core.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * An independent, deliberately plain float64 forward pass with transformers' semantics (Llama, Mistral, Qwen2,
 * Qwen3): written from the formulas, sharing no code with the engine, used as the reference in tests. Quadratic,
 * no cache; only for tiny models.
 */
public final class ReferenceForward {

    private final JsonNode cfg;
    private final Map<String, double[]> w = new HashMap<>();
    private final int hidden;
    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final int layers;
    private final int vocab;
    private final double eps;
    private final double[] invFreq;
    private final int window;
    private final boolean qkNorm;

    public ReferenceForward(Path dir) throws IOException {
        cfg = new ObjectMapper().readTree(dir.resolve("config.json").toFile());
        try (SafetensorsModel m = SafetensorsModel.open(dir)) {
            for (String name : m.tensorNames()) {
                Tensor t = m.tensor(name);
                double[] v = new double[(int) t.numel()];
                for (int i = 0; i < v.length; i++) {
                    v[i] = t.getDouble(i);
                }
                w.put(name, v);
            }
        }
        hidden = cfg.get("hidden_size").asInt();
        heads = cfg.get("num_attention_heads").asInt();
        kvHeads = cfg.get("num_key_value_heads").asInt();
        headDim = cfg.hasNonNull("head_dim") ? cfg.get("head_dim").asInt() : hidden / heads;
        layers = cfg.get("num_hidden_layers").asInt();
        vocab = cfg.get("vocab_size").asInt();
        eps = cfg.get("rms_norm_eps").asDouble();
        String arch = cfg.get("architectures").get(0).asText();
        qkNorm = arch.equals("Qwen3ForCausalLM");
        window = arch.equals("MistralForCausalLM") && cfg.hasNonNull("sliding_window")
                ? cfg.get("sliding_window").asInt() : 0;
        double theta = cfg.get("rope_theta").asDouble();
        invFreq = new double[headDim / 2];
        JsonNode rs = cfg.get("rope_scaling");
        for (int i = 0; i < headDim / 2; i++) {
            double f = Math.pow(theta, -2.0 * i / headDim);
            if (rs != null && !rs.isNull()) {
                String type = rs.has("rope_type") ? rs.get("rope_type").asText() : rs.get("type").asText();
                double factor = rs.get("factor").asDouble();
                if (type.equals("linear")) {
                    f = f / factor;
                } else if (type.equals("llama3")) {
                    double old = rs.get("original_max_position_embeddings").asDouble();
                    double lo = rs.get("low_freq_factor").asDouble();
                    double hi = rs.get("high_freq_factor").asDouble();
                    double wavelen = 2 * Math.PI / f;
                    if (wavelen > old / lo) {
                        f = f / factor;
                    } else if (wavelen >= old / hi) {
                        double smooth = (old / wavelen - lo) / (hi - lo);
                        f = (1 - smooth) * f / factor + smooth * f;
                    }
                }
            }
            invFreq[i] = f;
        }
    }

    private double[] t(String name) {
        double[] v = w.get(name);
        if (v == null) {
            throw new IllegalArgumentException("missing " + name);
        }
        return v;
    }

    private double[] linear(double[] x, String prefix, int out) {
        double[] m = t(prefix + ".weight");
        double[] b = w.get(prefix + ".bias");
        int in = x.length;
        double[] y = new double[out];
        for (int o = 0; o < out; o++) {
            double s = b == null ? 0 : b[o];
            for (int k = 0; k < in; k++) {
                s += m[o * in + k] * x[k];
            }
            y[o] = s;
        }
        return y;
    }

    private double[] rmsNorm(double[] x, int from, int n, double[] weight) {
        double ss = 0;
        for (int i = 0; i < n; i++) {
            ss += x[from + i] * x[from + i];
        }
        double r = 1 / Math.sqrt(ss / n + eps);
        double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            y[i] = x[from + i] * r * weight[i];
        }
        return y;
    }

    private void rope(double[] v, int off, int pos) {
        int half = headDim / 2;
        for (int i = 0; i < half; i++) {
            double c = Math.cos(pos * invFreq[i]);
            double s = Math.sin(pos * invFreq[i]);
            double a = v[off + i];
            double b = v[off + half + i];
            v[off + i] = a * c - b * s;
            v[off + half + i] = b * c + a * s;
        }
    }

    /** One position of a layer path: layer {@code layer} of {@code source}, its input stream multiplied by scale. */
    public record Step(ReferenceForward source, int layer, double scale) {
    }

    /** log-softmax of the next-token distribution after each prefix ids[0..j], [position][vocab]. */
    public double[][] logprobs(int[] ids) {
        List<Step> own = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            own.add(new Step(this, l, 1.0));
        }
        return logprobs(ids, own);
    }

    /**
     * {@link #logprobs(int[])} through a layer path: this model's embeddings, final norm and head, and at position l
     * the stream multiplied by {@code path.get(l).scale()} and then that step's layer (of whichever model).
     * Computed as the path's exported passthrough model computes it: the stream itself is never scaled; instead
     * each layer's two residual contributions (o_proj, down_proj outputs) are divided by C, the product of the scales
     * so far. That is the scaled stream divided by C, which every RMSNorm sees as the scaled stream with eps C^2.
     */
    public double[][] logprobs(int[] ids, List<Step> path) {
        int n = ids.length;
        double[][] x = new double[n][];
        double[] emb = t("model.embed_tokens.weight");
        for (int p = 0; p < n; p++) {
            x[p] = new double[hidden];
            System.arraycopy(emb, ids[p] * hidden, x[p], 0, hidden);
        }
        double c = 1;
        for (Step step : path) {
            ReferenceForward src = step.source();
            String pre = "model.layers." + step.layer() + ".";
            c *= step.scale();
            double[][] q = new double[n][];
            double[][] k = new double[n][];
            double[][] v = new double[n][];
            for (int p = 0; p < n; p++) {
                double[] h = rmsNorm(x[p], 0, hidden, src.t(pre + "input_layernorm.weight"));
                q[p] = src.linear(h, pre + "self_attn.q_proj", heads * headDim);
                k[p] = src.linear(h, pre + "self_attn.k_proj", kvHeads * headDim);
                v[p] = src.linear(h, pre + "self_attn.v_proj", kvHeads * headDim);
                for (int hh = 0; hh < heads; hh++) {
                    if (qkNorm) {
                        double[] qn = rmsNorm(q[p], hh * headDim, headDim, src.t(pre + "self_attn.q_norm.weight"));
                        System.arraycopy(qn, 0, q[p], hh * headDim, headDim);
                    }
                    rope(q[p], hh * headDim, p);
                }
                for (int g = 0; g < kvHeads; g++) {
                    if (qkNorm) {
                        double[] kn = rmsNorm(k[p], g * headDim, headDim, src.t(pre + "self_attn.k_norm.weight"));
                        System.arraycopy(kn, 0, k[p], g * headDim, headDim);
                    }
                    rope(k[p], g * headDim, p);
                }
            }
            for (int p = 0; p < n; p++) {
                double[] att = new double[heads * headDim];
                for (int hh = 0; hh < heads; hh++) {
                    int g = hh / (heads / kvHeads);
                    int lo = window > 0 ? Math.max(0, p - window + 1) : 0;
                    double[] sc = new double[p + 1];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = lo; j <= p; j++) {
                        double s = 0;
                        for (int d = 0; d < headDim; d++) {
                            s += q[p][hh * headDim + d] * k[j][g * headDim + d];
                        }
                        sc[j] = s / Math.sqrt(headDim);
                        max = Math.max(max, sc[j]);
                    }
                    double sum = 0;
                    for (int j = lo; j <= p; j++) {
                        sc[j] = Math.exp(sc[j] - max);
                        sum += sc[j];
                    }
                    for (int j = lo; j <= p; j++) {
                        for (int d = 0; d < headDim; d++) {
                            att[hh * headDim + d] += sc[j] / sum * v[j][g * headDim + d];
                        }
                    }
                }
                double[] o = src.linear(att, pre + "self_attn.o_proj", hidden);
                for (int i = 0; i < hidden; i++) {
                    x[p][i] += o[i] / c;
                }
                double[] h = rmsNorm(x[p], 0, hidden, src.t(pre + "post_attention_layernorm.weight"));
                int inter = cfg.get("intermediate_size").asInt();
                double[] gate = src.linear(h, pre + "mlp.gate_proj", inter);
                double[] up = src.linear(h, pre + "mlp.up_proj", inter);
                double[] a = new double[inter];
                for (int i = 0; i < inter; i++) {
                    a[i] = gate[i] / (1 + Math.exp(-gate[i])) * up[i];
                }
                double[] down = src.linear(a, pre + "mlp.down_proj", hidden);
                for (int i = 0; i < hidden; i++) {
                    x[p][i] += down[i] / c;
                }
            }
        }
        String head = w.containsKey("lm_head.weight") ? "lm_head.weight" : "model.embed_tokens.weight";
        double[] lm = t(head);
        double[][] out = new double[n][vocab];
        for (int p = 0; p < n; p++) {
            double[] h = rmsNorm(x[p], 0, hidden, t("model.norm.weight"));
            double max = Double.NEGATIVE_INFINITY;
            for (int o = 0; o < vocab; o++) {
                double s = 0;
                for (int i = 0; i < hidden; i++) {
                    s += lm[o * hidden + i] * h[i];
                }
                out[p][o] = s;
                max = Math.max(max, s);
            }
            double sum = 0;
            for (int o = 0; o < vocab; o++) {
                sum += Math.exp(out[p][o] - max);
            }
            double lse = max + Math.log(sum);
            for (int o = 0; o < vocab; o++) {
                out[p][o] -= lse;
            }
        }
        return out;
    }
}
