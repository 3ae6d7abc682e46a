package dev.evomerge.merge.method;

import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.Tensor;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;

/**
 * The generalized task arithmetic family (task_arithmetic, ties, dare_ties, dare_linear, breadcrumbs,
 * breadcrumbs_ties, della, della_linear): task vectors, per-model sparsification, optional TIES sign consensus,
 * weighted sum, optional normalisation and lambda, added back to the base (mergekit §2.2).
 */
final class GtaMethod extends AbstractMergeMethod {

    /** How each task vector is sparsified before mixing. */
    enum Sparsification { NONE, MAGNITUDE, RANDOM, OUTLIERS, DELLA }

    private final Sparsification sparsification;
    private final boolean consensus;

    GtaMethod(String name, Sparsification sparsification, boolean consensus, boolean normalize, boolean rescale) {
        super(name, BaseModelUse.REQUIRED, InputArity.atLeast(1), params(sparsification, normalize, rescale));
        this.sparsification = sparsification;
        this.consensus = consensus;
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
        // Plain task arithmetic streams from the inputs even when a task-vector cache is offered: recomputing
        // round(x - b) on the fly costs less than reading cached float32 task vectors twice the size.
        if (sparsification == Sparsification.NONE && !consensus && n > 0) {
            Tensor streamed = streamed(in, base, weight, normalize, lambda, arena);
            if (streamed != null) {
                return streamed;
            }
        }
        if (n == 0) {
            return Numerics.write(d, base.tensor().shape(), Numerics.read(base.tensor()));
        }
        float[] w = new float[n];
        for (int i = 0; i < n; i++) {
            w[i] = Numerics.tensorOf(d, weight[i]);
        }
        boolean random = sparsification == Sparsification.RANDOM;
        if ((random || sparsification == Sparsification.MAGNITUDE && !rescale) && StreamedGta.applies(in)) {
            // ties and dare without whole-tensor task vectors (same results, see StreamedGta)
            return StreamedGta.merge(in, base.tensor(), alignedOthers(in, base.tensor()), w, density, random, rescale,
                    consensus, normalize, lambda, arena);
        }
        // One task vector at a time, sparsified in place when it is not cached: at most one extra tensor-sized array
        // besides the sparsified ones is alive.
        float[][] deltas = new float[n][];
        for (int i = 0; i < n; i++) {
            deltas[i] = sparsify(in, TaskVectors.of(this, in, base, others.get(i)), density[i], extra[i], rescale);
        }
        Tensor out = Tensor.allocate(d, base.tensor().shape(), arena);
        if (consensus) {
            combineTies(d, base.tensor(), deltas, w, normalize, lambda, out);
        } else {
            combineLinear(d, base.tensor(), deltas, w, normalize, lambda, out);
        }
        return out;
    }

    /**
     * Plain task arithmetic straight from the inputs' memory, block by block (no task-vector arrays), when
     * {@link StreamKernels} supports the tensors; null otherwise. Same per-op rounding as {@link #combineLinear}.
     */
    private Tensor streamed(MergeInputs in, MergeInputs.InputTensor base, double[] weight, boolean normalize,
                            double lambda, Arena arena) {
        DType d = in.workDtype();
        Tensor b = base.tensor();
        List<Tensor> xs = alignedOthers(in, b);
        List<Tensor> all = new ArrayList<>(xs);
        all.add(b);
        if (!StreamKernels.supports(d, all)) {
            return null;
        }
        float[] w = new float[weight.length];
        for (int i = 0; i < w.length; i++) {
            w[i] = Numerics.tensorOf(d, weight[i]);
        }
        Tensor out = in.output(d, b.shape(), arena);
        StreamKernels.taskArithmetic(d, b, xs, w, divisor(d, w), normalize, lambda != 1, (float) lambda, out);
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
     * Without consensus: {@code mixed = round(Σ round(δ_i W_i))}, divisor {@code round(Σ W_i)} (1 if |div| < 1e-8),
     * then normalise, lambda, add base.
     */
    static void combineLinear(DType d, Tensor b, float[][] deltas, float[] w, boolean normalize, double lambda,
                              Tensor out) {
        Numerics.forRange(deltas[0].length, (s, e) -> linearPiece(d, b, deltas, s, w, normalize, lambda, out, s,
                e - s));
    }

    /**
     * {@link #combineLinear} for output elements [s, s+len), whose task-vector values are
     * {@code deltas[i][off..off+len)}.
     */
    static void linearPiece(DType d, Tensor b, float[][] deltas, int off, float[] w, boolean normalize, double lambda,
                            Tensor out, long s, int len) {
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
    static void combineTies(DType d, Tensor b, float[][] deltas, float[] w, boolean normalize, double lambda,
                            Tensor out) {
        Numerics.forRange(deltas[0].length, (s, e) -> tiesPiece(d, b, deltas, s, w, normalize, lambda, out, s,
                e - s));
    }

    /**
     * {@link #combineTies} for output elements [s, s+len), whose task-vector values are
     * {@code deltas[i][off..off+len)}.
     */
    static void tiesPiece(DType d, Tensor b, float[][] deltas, int off, float[] w, boolean normalize, double lambda,
                          Tensor out, long s, int len) {
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
