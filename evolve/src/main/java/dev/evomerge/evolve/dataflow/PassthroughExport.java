package dev.evomerge.evolve.dataflow;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.tensor.DType;
import dev.evomerge.merge.config.InputSlice;
import dev.evomerge.merge.config.LayerRange;
import dev.evomerge.merge.config.MergeConfig;
import dev.evomerge.merge.config.MergeConfigWriter;
import dev.evomerge.merge.config.ModelReference;
import dev.evomerge.merge.config.OutputSlice;
import dev.evomerge.merge.config.ParameterSetting;
import dev.evomerge.merge.config.Parameters;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A {@link LayerPath} as a plain mergekit {@code passthrough} config: one slice per run of consecutive layers of one
 * model, its residual writers ({@code o_proj}, {@code down_proj}) scaled so that the merged model computes what the
 * path computes in memory. mergekit, {@code evomerge merge} and every Hugging Face runtime run the result; no custom
 * inference code is needed.
 *
 * <p>Why scaling the writers reproduces scaling the stream. Write z_i for the residual stream entering position i
 * after its scale s_i, and C_i = s_0 s_1 ... s_i (all s &gt; 0). A decoder layer is
 * {@code h = z + A(N1(z)); out = h + M(N2(h))} where N1, N2 are RMSNorms, so N(c x) = N(x) for c &gt; 0 (up to eps).
 * Let the exported model run the same layers unscaled, with layer i's attention output A and MLP output M (that is,
 * o_proj and down_proj, bias included) multiplied by 1/C_i, and call its stream y_i. Claim: z_i = C_i y_i. At i = 0,
 * z_0 = s_0 e = C_0 y_0 (e the embedding). If z_i = C_i y_i then N1(z_i) = N1(y_i), so
 * h = C_i y_i + A = C_i (y_i + A / C_i), which is C_i times the exported model's h; again N2 sees the same vector, and
 * out = C_i (h' + M / C_i) = C_i y_{i+1}; scaling by s_{i+1} gives z_{i+1} = C_{i+1} y_{i+1}. The final RMSNorm then
 * removes C_{n-1}, so logits agree. Hence: the writers of position i and of every LATER position are divided by the
 * product of the scales up to and including position i; earlier positions and the embedding stay as they are.
 * (Dividing earlier layers instead would need the embedding scaled too, which passthrough slices cannot express.)
 *
 * <p>Epsilon: RMSNorm is x / sqrt(mean(x^2) + eps), so the exported model's norms at position i see y_i = z_i / C_i
 * with eps, i.e. the scaled stream z_i with eps C_i^2. No weight-only rewrite avoids that (an exported stream
 * y_i = z_i / K_i must have K_{i+1} = s_{i+1} K_i, as the residual connection carries y_i unchanged, so K_i = C_i / E
 * with E a scale of the embedding), so the engine norms a scaled stream with eps C_i^2 itself (ForwardPass), and a
 * path in memory computes what this export computes.
 * Scaled weights are also rounded to the output dtype (bf16: relative 2^-9), which the in-memory path never does.
 *
 * <p>mergekit reads embeddings from the first slice's model and the final norm and head from the last slice's model;
 * the path takes them from source model 0, so a path that starts or ends with another model's layer gets an empty
 * ({@code layer_range: [0, 0]}) slice of model 0 at that end.
 */
public final class PassthroughExport {

    /** The tensors that write into the residual stream (mergekit filters are substrings of the tensor name). */
    static final List<String> RESIDUAL_WRITERS = List.of("o_proj", "down_proj");

    private PassthroughExport() {
    }

    /**
     * The passthrough config of {@code path}.
     *
     * @param sources where each source model lives, indexed by {@link PathStep#model()}
     * @param dtype   the merge's compute dtype, or null for the stored dtype (float32 sources keep the merged
     *                model's scaled weights exact to float rounding; bf16 ones round them to bf16)
     */
    public static MergeConfig toConfig(LayerPath path, List<ModelReference> sources, DType dtype) {
        if (path.length() == 0) {
            throw EvomergeException.usage("A data-flow path needs at least one layer to be exported.");
        }
        if (sources.isEmpty()) {
            throw new IllegalArgumentException("a data-flow path needs at least one source model");
        }
        List<OutputSlice> slices = new ArrayList<>();
        if (path.steps().getFirst().model() != 0) {
            slices.add(emptySlice(sources.getFirst()));
        }
        double cumulative = 1;
        int i = 0;
        while (i < path.length()) {
            PathStep first = check(path, i, sources.size());
            cumulative *= first.scale();
            int end = i + 1;
            // a slice runs on while the next step is the next layer of the same model and leaves the stream as it is
            while (end < path.length()) {
                PathStep next = check(path, end, sources.size());
                PathStep prev = path.steps().get(end - 1);
                if (next.model() != first.model() || next.layer() != prev.layer() + 1 || next.scale() != 1.0) {
                    break;
                }
                end++;
            }
            LayerRange range = new LayerRange(first.layer(), first.layer() + (end - i));
            slices.add(new OutputSlice(List.of(new InputSlice(sources.get(first.model()), range, null)), null,
                    writerScale(1 / cumulative), null));
            i = end;
        }
        if (path.steps().getLast().model() != 0) {
            slices.add(emptySlice(sources.getFirst()));
        }
        return MergeConfig.ofSlices("passthrough", slices, null, Parameters.empty(), dtype);
    }

    /** {@link #toConfig} as mergekit YAML. */
    public static String toYaml(LayerPath path, List<ModelReference> sources, DType dtype) {
        return MergeConfigWriter.toYaml(toConfig(path, sources, dtype));
    }

    private static PathStep check(LayerPath path, int i, int models) {
        PathStep s = path.steps().get(i);
        if (s.model() < 0 || s.model() >= models) {
            throw EvomergeException.usage("Step " + i + " of the data-flow path takes a layer of source model "
                    + s.model() + ", but " + models + " source models were given.");
        }
        if (s.layer() < 0) {
            throw EvomergeException.usage("Step " + i + " of the data-flow path takes layer " + s.layer()
                    + "; layers are numbered from 0.");
        }
        if (!(s.scale() > 0) || Double.isInfinite(s.scale())) {
            throw EvomergeException.usage("Step " + i + " of the data-flow path scales its input by " + s.scale()
                    + ": only a finite factor greater than 0 has a passthrough equivalent, since RMSNorm undoes"
                    + " positive factors only.");
        }
        return s;
    }

    /** {@code scale: [{filter: o_proj, value: f}, {filter: down_proj, value: f}]}, nothing when f is 1. */
    private static Parameters writerScale(double factor) {
        if (factor == 1.0) {
            return Parameters.empty();
        }
        List<ParameterSetting.Condition> conditions = new ArrayList<>();
        for (String filter : RESIDUAL_WRITERS) {
            conditions.add(new ParameterSetting.Condition(filter, ParameterSetting.Scalar.of(factor)));
        }
        // no catch-all entry: other tensors match nothing here and fall through to passthrough's default (unscaled)
        return Parameters.of(Map.of("scale", new ParameterSetting.Conditional(conditions)));
    }

    private static OutputSlice emptySlice(ModelReference model0) {
        return new OutputSlice(List.of(new InputSlice(model0, new LayerRange(0, 0), null)), null, null, null);
    }
}
