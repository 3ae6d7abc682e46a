package dev.evomerge.merge.plan;

import dev.evomerge.merge.config.InputSlice;
import dev.evomerge.merge.config.LayerRange;
import dev.evomerge.merge.config.ModelReference;
import dev.evomerge.merge.config.OutputSlice;
import dev.evomerge.merge.config.ParameterSetting;
import dev.evomerge.merge.config.ParameterValue;
import dev.evomerge.merge.config.Parameters;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** mergekit's lookup order: source → slice → module → global → default, conditional lists falling through. */
class ParameterScopeTest {

    private static final ModelReference A = ModelReference.of("a");
    private static final ModelReference B = ModelReference.of("b");
    private static final ModelReference C = ModelReference.of("c");

    private static ParameterSetting cond(String filter, double v) {
        return new ParameterSetting.Conditional(List.of(new ParameterSetting.Condition(filter,
                ParameterSetting.Scalar.of(v))));
    }

    private static Parameters params(Object... kv) {
        Map<String, ParameterSetting> m = new java.util.LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            Object v = kv[i + 1];
            m.put((String) kv[i], v instanceof ParameterSetting s ? s : ParameterSetting.Scalar.of((Double) v));
        }
        return Parameters.of(m);
    }

    private static final OutputSlice SLICE = new OutputSlice(List.of(
            new InputSlice(A, new LayerRange(0, 2), params("weight", 0.5)),
            new InputSlice(B, new LayerRange(0, 2), params("weight", cond("self_attn", 0.7))),
            new InputSlice(C, new LayerRange(0, 2), Parameters.empty())),
            null, params("weight", 0.2, "t", 0.3), null);

    private static final ParameterScope SCOPE = new ParameterScope(SLICE, Parameters.empty(),
            params("weight", 0.1, "density", cond("mlp", 0.9), "lambda", 2.0), 0.0);

    @ParameterizedTest(name = "{0} for {1} on {2} = {3}")
    @CsvSource(delimiter = '|', nullValues = "-", value = {
            "weight  | a | any.tensor                   | 0.5 ",   // source level wins
            "weight  | b | layers.0.self_attn.q.weight  | 0.7 ",   // source conditional matches
            "weight  | b | layers.0.mlp.up.weight       | 0.2 ",   // source conditional falls through to the slice
            "weight  | c | any.tensor                   | 0.2 ",   // no source setting: slice level
            "weight  | - | any.tensor                   | 0.2 ",   // global lookups never read sources
            "density | a | layers.0.mlp.up.weight       | 0.9 ",   // global conditional
            "density | a | layers.0.self_attn.q.weight  | -   ",   // nothing matches anywhere: unset
            "lambda  | c | x                            | 2.0 ",   // only global sets it
            "t       | - | x                            | 0.3 ",
            "gamma   | a | x                            | -   "})
    void precedenceTable(String name, String model, String tensor, Double expected) {
        ParameterValue v = SCOPE.lookup(name, model == null ? null : ModelReference.of(model), tensor);
        if (expected == null) {
            assertThat(v).isNull();
        } else {
            assertThat(v.asDouble()).isEqualTo(expected);
        }
    }

    @Test
    void moduleLevelSitsBetweenSliceAndGlobal() {
        OutputSlice bare = new OutputSlice(List.of(new InputSlice(C, new LayerRange(0, 1), Parameters.empty())),
                null, Parameters.empty(), null);
        ParameterScope withModule = new ParameterScope(bare, params("weight", 0.4), params("weight", 0.1), 0);
        ParameterScope withoutModule = new ParameterScope(bare, Parameters.empty(), params("weight", 0.1), 0);
        assertThat(withModule.lookup("weight", C, "x").asDouble()).isEqualTo(0.4);
        assertThat(withoutModule.lookup("weight", C, "x").asDouble()).isEqualTo(0.1);
    }

    @Test
    void theFirstSourceOfAModelThatSetsTheNameWins() {
        OutputSlice twice = new OutputSlice(List.of(
                new InputSlice(A, new LayerRange(0, 1), params("density", 0.3)),
                new InputSlice(A, new LayerRange(1, 2), params("weight", 0.6, "density", 0.8))),
                null, Parameters.empty(), null);
        ParameterScope s = new ParameterScope(twice, null, null, 0);
        assertThat(s.lookup("weight", A, "x").asDouble()).isEqualTo(0.6);
        assertThat(s.lookup("density", A, "x").asDouble()).isEqualTo(0.3);
    }

    @Test
    void gradientsUseTheScopesT() {
        OutputSlice grad = new OutputSlice(List.of(new InputSlice(A, new LayerRange(0, 5), Parameters.empty())),
                null, params("t", new ParameterSetting.Gradient(List.of(0.0, 0.4, 1.0))), null);
        // layer 1 of 5: t = 1/4, scaled = 0.5 -> 0.5*0 + 0.5*0.4 = 0.2
        assertThat(new ParameterScope(grad, null, null, ParameterScope.layerT(1, 5)).lookup("t", null, "x").asDouble())
                .isCloseTo(0.2, within(1e-15));
        // layer 3 of 5: t = 3/4, scaled = 1.5 -> 0.5*0.4 + 0.5*1 = 0.7
        assertThat(new ParameterScope(grad, null, null, ParameterScope.layerT(3, 5)).lookup("t", null, "x").asDouble())
                .isCloseTo(0.7, within(1e-15));
    }

    @ParameterizedTest
    @CsvSource({"0, 1, 1.0", "0, 2, 0.0", "1, 2, 1.0", "2, 5, 0.5", "13, 40, 0.3333333333333333"})
    void layerTIsIdxOverLengthMinusOneAndOneForSingleLayerSlices(int idx, int length, double expected) {
        assertThat(ParameterScope.layerT(idx, length)).isCloseTo(expected, within(1e-15));
    }
}
