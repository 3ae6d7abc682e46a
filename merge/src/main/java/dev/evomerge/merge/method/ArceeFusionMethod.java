package dev.evomerge.merge.method;

import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.Shape;
import dev.evomerge.core.tensor.Tensor;

import java.util.Arrays;
import java.util.List;

/**
 * arcee_fusion: takes the other model's value only where its importance {@code |b-a|·KL(softmax(b)‖softmax(a))}
 * (KL per row along the last dim) reaches {@code median + 1.5·IQR} of all importances; quantiles come from a random
 * sample of 10⁶ elements on larger tensors. mergekit returns float32 here; evomerge returns the work
 * dtype, i.e. mergekit's values with out_dtype equal to the work dtype.
 */
final class ArceeFusionMethod extends AbstractMergeMethod {

    static final int SAMPLE = 1_000_000;

    ArceeFusionMethod() {
        super("arcee_fusion", BaseModelUse.REQUIRED, InputArity.exactly(1), List.of());
    }

    @Override
    public Tensor merge(MergeInputs in) {
        DType d = in.workDtype();
        MergeInputs.InputTensor base = requireBase(in);
        List<MergeInputs.InputTensor> others = in.others();
        if (others.isEmpty()) {
            return Numerics.write(d, base.tensor().shape(), Numerics.read(base.tensor()));
        }
        if (others.size() > 1) {
            throw usage(in, "arcee_fusion merges the base with exactly one other model, got " + others.size() + ".");
        }
        List<Tensor> ts = Shapes.rectifyEmbed(in.isEmbed(), List.of(base.tensor(), others.get(0).tensor()));
        if (!Shapes.sameShape(ts)) {
            throw usage(in, "tensor size mismatch: " + Shapes.describe(List.of(base, others.get(0)), ts) + ".");
        }
        Shape shape = ts.get(0).shape();
        float[] a = Numerics.read(ts.get(0));
        float[] b = Numerics.read(ts.get(1));
        float[] importance = importance(d, a, b, shape);
        float thr = threshold(d, importance, in.masks(), new MaskSource.MaskKey(in.tensorName(), "", "arcee_fusion"));
        float[] out = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            float delta = Numerics.round(d, b[i] - a[i]);
            float mask = importance[i] >= thr ? 1f : 0f;
            // float32 in mergekit (the mask is float32), rounded to the work dtype once.
            out[i] = Numerics.round(d, a[i] + delta * mask);
        }
        return Numerics.write(d, shape, out);
    }

    /** I = round(|round(b-a)| · KL_row), KL_row = round(Σ round(p·round(log(round(p/q))))), p/q = softmax + 1e-8. */
    static float[] importance(DType d, float[] a, float[] b, Shape shape) {
        Lines lines = Lines.along(shape.rank() == 0 ? Shape.of(1) : shape, -1);
        float[] imp = new float[a.length];
        for (int l = 0; l < lines.count(); l++) {
            float[] p = softmaxPlusEps(d, b, lines, l);
            float[] q = softmaxPlusEps(d, a, lines, l);
            double kl = 0;
            for (int j = 0; j < lines.length(); j++) {
                float ratio = Numerics.round(d, p[j] / q[j]);
                float log = Numerics.round(d, (float) Math.log(ratio));
                kl += Numerics.round(d, p[j] * log);
            }
            float klRow = Numerics.reduced(d, kl);
            for (int j = 0; j < lines.length(); j++) {
                int i = lines.at(l, j);
                float diff = Math.abs(Numerics.round(d, b[i] - a[i]));
                imp[i] = Numerics.round(d, diff * klRow);
            }
        }
        return imp;
    }

    /** Lanes of torch's float32 accumulator in its CPU softmax (AVX-512: 16; AVX2 machines use 8). */
    static final int SOFTMAX_LANES = 16;

    /**
     * softmax(x) along one line as torch 2.x's CPU kernel computes it for bf16/fp16 input, then + 1e-8: float32
     * {@code exp(x - max)} with SLEEF's vector expf (1-ulp, not correctly rounded) for the whole vectors of
     * SOFTMAX_LANES elements and the correctly rounded expf for the tail; the vector exps summed in SOFTMAX_LANES
     * float32 lanes (element j into lane j % LANES), the lanes added by halving (lane i + lane i + LANES/2, ...), the
     * tail added after that one by one; then each exp times the float32 reciprocal of the sum, rounded to the work
     * dtype. Any other exp or summation order moves some float32 probabilities by an ulp, which changes their bf16
     * rounding, a row's KL and so which elements reach the threshold (checked bit-exact against torch 2.13 on an
     * AVX-512 CPU; torch on an AVX2-only CPU sums in 8 lanes, so mergekit's own result differs between machines).
     * float32 input goes through torch's float kernel, which also uses the vector exp on the tail and sums in another
     * order; the same emulation is used there, so float32 probabilities can differ from torch's in the last bit (no
     * mask difference was seen on the synthetic models checked).
     */
    private static float[] softmaxPlusEps(DType d, float[] x, Lines lines, int l) {
        int len = lines.length();
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < len; j++) {
            max = Math.max(max, x[lines.at(l, j)]);
        }
        float[] e = new float[len];
        float[] lanes = new float[SOFTMAX_LANES];
        int whole = len - len % SOFTMAX_LANES;
        for (int j = 0; j < len; j++) {
            float v = x[lines.at(l, j)] - max;
            if (j < whole) {
                e[j] = sleefExp(v);
                lanes[j % SOFTMAX_LANES] += e[j];
            } else {
                e[j] = (float) Math.exp(v);
            }
        }
        for (int width = SOFTMAX_LANES / 2; width >= 1; width /= 2) {
            for (int i = 0; i < width; i++) {
                lanes[i] += lanes[i + width];
            }
        }
        float sum = lanes[0];
        for (int j = whole; j < len; j++) {
            sum += e[j];
        }
        float inv = 1f / sum;
        float[] p = new float[len];
        float eps = 1e-8f;
        for (int j = 0; j < len; j++) {
            float sm = Numerics.round(d, e[j] * inv);
            p[j] = Numerics.round(d, sm + eps);
        }
        return p;
    }

    /**
     * SLEEF's 1-ulp float expf (the vector exp torch's CPU kernels call), step by step with fused multiply-adds:
     * {@code q = rint(x·log2 e)}, {@code s = x − q·ln2} in two parts, a degree-6 polynomial, scaled by 2^q in two
     * halves; 0 below −104.
     */
    static float sleefExp(float x) {
        int q = (int) Math.rint(x * 1.442695040888963407359924681001892137f);
        float qf = q;
        float s = Math.fma(qf, -0.693145751953125f, x);
        s = Math.fma(qf, -1.428606765330187045e-06f, s);
        float u = 0.000198527617612853646278381f;
        u = Math.fma(u, s, 0.00139304355252534151077271f);
        u = Math.fma(u, s, 0.00833336077630519866943359f);
        u = Math.fma(u, s, 0.0416664853692054748535156f);
        u = Math.fma(u, s, 0.166666671633720397949219f);
        u = Math.fma(u, s, 0.5f);
        u = 1f + Math.fma(s * s, u, s);
        int h = q >> 1;
        u = u * Math.scalb(1f, h) * Math.scalb(1f, q - h);
        if (x < -104f) {
            return 0f;
        }
        return x > 88.72283935546875f ? Float.POSITIVE_INFINITY : u;
    }

    /** median + 1.5·(Q3 - Q1) of the (sampled) importances; quantile q = sorted[(long)(q·(n-1))] in float32. */
    static float threshold(DType d, float[] importance, MaskSource masks, MaskSource.MaskKey key) {
        float[] sample;
        if (importance.length > SAMPLE) {
            int[] idx = masks.permutationPrefix(key, importance.length, SAMPLE);
            sample = new float[idx.length];
            for (int i = 0; i < idx.length; i++) {
                sample[i] = importance[idx[i]];
            }
        } else {
            sample = importance.clone();
        }
        Arrays.sort(sample);
        float last = (float) (sample.length - 1);
        float q1 = sample[(int) (0.25f * last)];
        float median = sample[(int) (0.5f * last)];
        float q3 = sample[(int) (0.75f * last)];
        float iqr = Numerics.round(d, q3 - q1);
        return Numerics.round(d, median + Numerics.round(d, 1.5f * iqr));
    }
}
