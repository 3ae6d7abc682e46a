package dev.evomerge.evolve.dataflow;

import dev.evomerge.core.tensor.DType;
import dev.evomerge.merge.config.InputSlice;
import dev.evomerge.merge.config.LayerRange;
import dev.evomerge.merge.config.MergeConfig;
import dev.evomerge.merge.config.ModelReference;
import dev.evomerge.merge.config.OutputSlice;
import dev.evomerge.merge.config.ParameterSetting;
import dev.evomerge.merge.config.Parameters;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A path as passthrough slices: consecutive steps of one model's consecutive layers at an unchanged cumulative scale
 * share a slice. Every layer reads the residual stream through RMSNorm, so multiplying the stream entering step i by
 * s_i equals (up to the norm's epsilon) dividing the output projections ({@code o_proj}, {@code down_proj}) of step i
 * and every later step by the cumulative factor C_i = s_1 * ... * s_i: a slice whose C differs from 1 carries
 * {@code scale: 1/C} on those two tensors (mergekit's passthrough scale, filtered by tensor name).
 */
public final class LayerSlicesExport implements PathExport {

    @Override
    public MergeConfig export(LayerPath path, List<ModelReference> sources) {
        List<OutputSlice> slices = new ArrayList<>();
        double cumulative = 1.0;
        int start = -1;
        int model = -1;
        int end = -1;
        double sliceFactor = 1.0;
        for (PathStep s : path.steps()) {
            cumulative *= s.scale();
            boolean extends_ = start >= 0 && s.model() == model && s.layer() == end && s.scale() == 1.0;
            if (!extends_) {
                if (start >= 0) {
                    slices.add(slice(sources.get(model), start, end, sliceFactor));
                }
                start = s.layer();
                model = s.model();
                sliceFactor = cumulative;
            }
            end = s.layer() + 1;
        }
        slices.add(slice(sources.get(model), start, end, sliceFactor));
        return MergeConfig.ofSlices("passthrough", slices, null, Parameters.empty(), DType.BF16);
    }

    private static OutputSlice slice(ModelReference model, int start, int end, double cumulative) {
        Parameters p = Parameters.empty();
        if (cumulative != 1.0) {
            ParameterSetting inverse = ParameterSetting.Scalar.of(1.0 / cumulative);
            p = Parameters.of(Map.of("scale", new ParameterSetting.Conditional(List.of(
                    new ParameterSetting.Condition("o_proj", inverse),
                    new ParameterSetting.Condition("down_proj", inverse),
                    new ParameterSetting.Condition(null, ParameterSetting.Scalar.of(1.0))))));
        }
        return new OutputSlice(List.of(new InputSlice(model, new LayerRange(start, end), p)), null, Parameters.empty(), null);
    }
}
