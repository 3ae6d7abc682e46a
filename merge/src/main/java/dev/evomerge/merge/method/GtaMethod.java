package dev.evomerge.merge.method;

import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.Tensor;

import dev.evomerge.merge.method.GtaVariant.Sparsification;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;

/**
 * The generalized task arithmetic family ({@link GtaVariant}): each model's task vector {@code δ_i = x_i - base} is
 * sparsified, the vectors are mixed by weight (with or without TIES sign consensus), optionally divided by the weight
 * sum and scaled by lambda, and added back to the base. See docs/merging.md for the methods and their parameters.
 *
 * <p>Three paths compute it, with the same per-op rounding and the same results bit for bit:
 * {@link StreamKernels#taskArithmetic} (task_arithmetic), {@link StreamedGta} (ties without rescale, dare_ties,
 * dare_linear on bf16; ties in one pass by {@link TiesStream}) and the array path of {@link #mergeArrays} (every other case).
 */
final class GtaMethod extends AbstractMergeMethod {

    private final GtaVariant variant;
    private final Sparsification sparsification;

    GtaMethod(GtaVariant variant) {
        super(variant.methodName(), BaseModelUse.REQUIRED, InputArity.atLeast(1),
                params(variant.sparsification(), variant.normalizeByDefault(), variant.rescaleByDefault()));
        this.variant = variant;
        this.sparsification = variant.sparsification();
    }

    private static List<ParameterSpec> params(Sparsification sp, boolean normalize, boolean rescale) {
        ParameterSpec density = ParameterSpec.number("density", ParameterSpec.Scope.PER_MODEL, 1.0);
        List<ParameterSpec> p = new ArrayList<>(List.of(
                ParameterSpec.bool("int8_mask", ParameterSpec.Scope.GLOBAL, false),
                ParameterSpec.bool("normalize", ParameterSpec.Scope.GLOBAL, normalize),
                ParameterSpec.bool("rescale", ParameterSpec.Scope.GLOBAL, rescale),
                ParameterSpec.number("lambda", ParameterSpec.Scope.GLOBAL, 1.0),
                ParameterSpec.required("weight", ParameterSpec.Scope.PER_MODEL, ParameterSpec.Kind.NUMBER).asGene(),
                // evolution searches density only where it sparsifies (task_arithmetic keeps every element)
                sp == Sparsification.NONE ? density : density.asGene()));
        if (sp == Sparsification.OUTLIERS) {
            p.add(ParameterSpec.number("gamma", ParameterSpec.Scope.PER_MODEL, 0.01));
        }
        if (sp == Sparsification.DELLA) {
            p.add(ParameterSpec.number("epsilon", ParameterSpec.Scope.PER_MODEL, 0.15));
        }
        return p;
    }

    @Override
    public Tensor merge(MergeInputs in) {
        return merge(in, Arena.ofAuto());
    }

    @Override
    public Tensor merge(MergeInputs in, Arena arena) {
        MergeInputs.InputTensor base = requireBase(in);
        DType d = in.workDtype();
        boolean normalize = flag(in, "normalize");
        boolean rescale = flag(in, "rescale");
        double lambda = global(in, "lambda");
        // Resolve every parameter before any arithmetic so config errors surface first.
        List<MergeInputs.InputTensor> others = in.others();
        int n = others.size();
        double[] weight = new double[n];
        double[] density = new double[n];
        double[] extra = new double[n];
        for (int i = 0; i < n; i++) {
            MergeInputs.InputTensor t = others.get(i);
            weight[i] = perModel(in, t, "weight");
            density[i] = perModel(in, t, "density");
            if (sparsification == Sparsification.OUTLIERS) {
                extra[i] = perModel(in, t, "gamma");
            } else if (sparsification == Sparsification.DELLA) {
                extra[i] = perModel(in, t, "epsilon");
            }
        }
        if (n == 0) {
            return Numerics.write(d, base.tensor().shape(), Numerics.read(base.tensor()));
        }
        float[] w = new float[n];
        for (int i = 0; i < n; i++) {
            w[i] = Numerics.tensorOf(d, weight[i]);
        }
        Mixing mix = new Mixing(w, variant.signConsensus(), normalize, lambda);
        // Plain task arithmetic streams from the inputs even when a task-vector cache is offered: recomputing
        // round(x - b) on the fly costs less than reading cached float32 task vectors twice the size.
        if (variant.equals(GtaVariant.TASK_ARITHMETIC)) {
            Tensor streamed = streamed(in, base.tensor(), mix, arena);
            if (streamed != null) {
                return streamed;
            }
        }
        if (StreamedGta.applies(in, sparsification, rescale)) {
            return StreamedGta.merge(in, base.tensor(), alignedOthers(in, base.tensor()), density,
                    sparsification, rescale, mix, arena);
        }
        return mergeArrays(in, base, density, extra, rescale, mix, arena);
    }

    /**
     * The array path, taken by breadcrumbs, breadcrumbs_ties, della and della_linear, by ties with rescale, by ties,
     * dare_ties and dare_linear when the work dtype is not bf16, and by
     * task_arithmetic when {@link StreamKernels} does not support the tensors: whole task vectors as float arrays,
     * sparsified by {@link Sparsifiers}, then mixed piece by piece. One task vector at a time is computed, sparsified
     * in place when it is not cached: at most one extra tensor-sized array besides the sparsified ones is alive.
     */
    private Tensor mergeArrays(MergeInputs in, MergeInputs.InputTensor base, double[] density, double[] extra,
                               boolean rescale, Mixing mix, Arena arena) {
        List<MergeInputs.InputTensor> others = in.others();
        float[][] deltas = new float[others.size()][];
        for (int i = 0; i < deltas.length; i++) {
            deltas[i] = sparsify(in, TaskVectors.of(this, in, base, others.get(i)), density[i], extra[i], rescale);
        }
        Tensor out = Tensor.allocate(in.workDtype(), base.tensor().shape(), arena);
        combine(in.workDtype(), base.tensor(), deltas, mix, out);
        return out;
    }

    /**
     * Plain task arithmetic straight from the inputs' memory, block by block (no task-vector arrays), when
     * {@link StreamKernels} supports the tensors; null otherwise. Same per-op rounding as {@link #combine}.
     */
    private Tensor streamed(MergeInputs in, Tensor b, Mixing mix, Arena arena) {
        DType d = in.workDtype();
        List<Tensor> xs = alignedOthers(in, b);
        List<Tensor> all = new ArrayList<>(xs);
        all.add(b);
        if (!StreamKernels.supports(d, all)) {
            return null;
        }
        Tensor out = in.output(d, b.shape(), arena);
        StreamKernels.taskArithmetic(d, b, xs, mix.weights(), divisor(d, mix.weights()), mix.normalize(),
                mix.lambda() != 1, (float) mix.lambda(), out, in.rowTarget(out));
        return out;
    }

    /** The non-base inputs' tensors in the base's shape (see {@link TaskVectors#aligned}). */
    private List<Tensor> alignedOthers(MergeInputs in, Tensor base) {
        List<Tensor> xs = new ArrayList<>();
        for (MergeInputs.InputTensor other : in.others()) {
            xs.add(TaskVectors.aligned(this, in, other, base.shape()));
        }
        return xs;
    }

    /** {@code round(Σ W_i)}, or 1 when its magnitude is below round(1e-8) (mergekit's guard). */
    private static float divisor(DType d, float[] w) {
        float divSum = 0f;
        for (float wi : w) {
            divSum += wi;
        }
        float div0 = Numerics.round(d, divSum);
        return Math.abs(div0) < Numerics.round(d, 1e-8f) ? 1f : div0;
    }

    private float[] sparsify(MergeInputs in, TaskVectors.TaskVector tv, double density, double extra, boolean rescale) {
        DType d = in.workDtype();
        String model = tv.input().model();
        return switch (sparsification) {
            case NONE -> tv.delta();
            case MAGNITUDE -> Sparsifiers.magnitude(d, tv.delta(), density < 1 ? tv.sortedAbs() : null,
                    tv.l1(), density, rescale, tv.entry() == null);
            case OUTLIERS -> Sparsifiers.outliers(d, tv.delta(), density < 1 ? tv.sortedAbs() : null,
                    tv.l1(), density, extra, rescale);
            case RANDOM -> Sparsifiers.bernoulli(d, tv.delta(), density, rescale, in.masks(),
                    new MaskSource.MaskKey(in.tensorName(), model, "dare"), tv.entry() == null);
            case DELLA -> Sparsifiers.della(d, tv.delta(), in.base().tensor().shape(), density, extra, rescale,
                    in.masks(), new MaskSource.MaskKey(in.tensorName(), model, "della"), name());
        };
    }

    /**
     * How the sparsified task vectors are mixed: their weights (in the work dtype), TIES sign consensus or not,
     * division by the sum of the (agreeing) weights, and the lambda scale.
     */
    record Mixing(float[] weights, boolean consensus, boolean normalize, double lambda) {
    }

    /** Mixes the task vectors {@code deltas} as {@code mix} says and adds them to {@code b}, into {@code out}. */
    static void combine(DType d, Tensor b, float[][] deltas, Mixing mix, Tensor out) {
        Numerics.forRange(deltas[0].length, (s, e) -> combinePiece(d, b, deltas, s, mix, out, s, e - s));
    }

    /**
     * {@link #combine} for output elements [s, s+len), whose task-vector values are {@code deltas[i][off..off+len)}.
     */
    static void combinePiece(DType d, Tensor b, float[][] deltas, int off, Mixing mix, Tensor out, long s, int len) {
        if (mix.consensus()) {
            tiesPiece(d, b, deltas, off, mix.weights(), mix.normalize(), mix.lambda(), out, s, len);
        } else {
            linearPiece(d, b, deltas, off, mix.weights(), mix.normalize(), mix.lambda(), out, s, len);
        }
    }

    /**
     * Without consensus: {@code mixed = round(Σ round(δ_i W_i))}, divisor {@code round(Σ W_i)} (1 if |div| < 1e-8),
     * then normalise, lambda, add base.
     */
    private static void linearPiece(DType d, Tensor b, float[][] deltas, int off, float[] w, boolean normalize,
                                    double lambda, Tensor out, long s, int len) {
        PieceScratch scratch = PieceScratch.get();
        float[] mixed = scratch.mixed(len);
        for (int i = 0; i < deltas.length; i++) {
            VectorMath.addScaled(d, mixed, 0, deltas[i], off, w[i], len);
        }
        float[] piece = scratch.piece(len);
        Numerics.read(b, s, piece, 0, len);
        VectorMath.finish(d, piece, piece, 0, mixed, null, divisor(d, w), normalize, lambda != 1, (float) lambda,
                len);
        Numerics.writePiece(out, s, piece, len);
    }

    /**
     * TIES "sum" consensus: {@code wd_i = round(δ_i W_i)}, majority sign {@code +1 if round(Σ wd_i) ≥ 0 else -1},
     * {@code mixed = round(Σ wd_i [sign(wd_i) = M])}, {@code div = round(Σ W_i [sign(wd_i) = M])} (1 if 0), then
     * normalise, lambda, add base. Zero task-vector entries have sign 0 and never count.
     */
    private static void tiesPiece(DType d, Tensor b, float[][] deltas, int off, float[] w, boolean normalize,
                                  double lambda, Tensor out, long s, int len) {
        int n = deltas.length;
        PieceScratch scratch = PieceScratch.get();
        float[][] wd = scratch.weighted(n, len);
        float[] vote = scratch.vote(len);
        for (int i = 0; i < n; i++) {
            VectorMath.scaleAndVote(d, wd[i], 0, deltas[i], off, w[i], vote, len);
        }
        // The vote is taken on the sum as torch stores it (rounded to the work dtype); NaN votes -1.
        float[] mixed = scratch.mixed(len);
        float[] div = scratch.div(len);
        for (int i = 0; i < n; i++) {
            VectorMath.agreeing(d, wd[i], vote, w[i], mixed, div, len);
        }
        float[] piece = scratch.piece(len);
        Numerics.read(b, s, piece, 0, len);
        VectorMath.finish(d, piece, piece, 0, mixed, div, 1f, normalize, lambda != 1, (float) lambda, len);
        Numerics.writePiece(out, s, piece, len);
    }
}
