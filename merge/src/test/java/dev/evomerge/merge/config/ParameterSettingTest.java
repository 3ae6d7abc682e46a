package dev.evomerge.merge.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class ParameterSettingTest {

    /** mergekit's gradient at t: scaled = t(len-1), i0 = floor, i1 = min(len-1, i0+1), lerp; values worked by hand. */
    @ParameterizedTest
    @CsvSource({
            // anchors ; t ; expected
            "0 0.3 0.7 1, 0.0, 0.0",
            "0 0.3 0.7 1, 1.0, 1.0",
            // layer 13 of 40: t = 13/39, scaled = 1 -> exactly anchor 1
            "0 0.3 0.7 1, 0.333333333333333333, 0.3",
            // layer 20 of 40: t = 20/39, scaled = 60/39 = 1.538..., 0.3 + 0.538...*0.4 = 0.51538...
            "0 0.3 0.7 1, 0.512820512820512820, 0.515384615384615385",
            "0.2 0.8, 0.5, 0.5",
            "0.2 0.8, 0.25, 0.35",
            "5, 0.7, 5",
            "1 0, 1.0, 0"})
    void gradientsInterpolateLinearlyBetweenNeighbouringAnchors(String anchors, double t, double expected) {
        List<Double> a = java.util.Arrays.stream(anchors.split(" ")).map(Double::valueOf).toList();
        ParameterValue v = new ParameterSetting.Gradient(a).evaluate("x", t);
        assertThat(v.asDouble()).isCloseTo(expected, within(1e-12));
    }

    /** mergekit's filters: substring tests, first match wins, null and "*" match all, no match yields null. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', nullValues = "-", value = {
            "model.layers.0.self_attn.q_proj.weight | 1.0",
            "model.layers.0.mlp.experts.weight | 2.0",
            "model.layers.0.mlp.o_proj.weight | 1.0",
            "model.norm.weight | -"})
    void conditionalsPickTheFirstMatchingFilter(String tensor, Double expected) {
        ParameterSetting s = new ParameterSetting.Conditional(List.of(
                new ParameterSetting.Condition("proj", ParameterSetting.Scalar.of(1.0)),
                new ParameterSetting.Condition("mlp", ParameterSetting.Scalar.of(2.0)),
                new ParameterSetting.Condition("self_attn", ParameterSetting.Scalar.of(3.0))));
        ParameterValue v = s.evaluate(tensor, 0);
        if (expected == null) {
            assertThat(v).isNull();
        } else {
            assertThat(v.asDouble()).isEqualTo(expected);
        }
    }

    @Test
    void starAndNullFiltersMatchEverythingAndValuesMayBeGradients() {
        ParameterSetting star = new ParameterSetting.Conditional(List.of(
                new ParameterSetting.Condition("*", new ParameterSetting.Gradient(List.of(0.0, 1.0)))));
        assertThat(star.evaluate("anything", 0.25).asDouble()).isEqualTo(0.25);
        ParameterSetting none = new ParameterSetting.Conditional(List.of(
                new ParameterSetting.Condition(null, ParameterSetting.Scalar.of(7.0))));
        assertThat(none.evaluate("anything", 0.5).asDouble()).isEqualTo(7.0);
    }

    @Test
    void booleansReadAsOneAndZero() {
        assertThat(ParameterSetting.Scalar.of(true).evaluate("x", 0).asDouble()).isEqualTo(1.0);
        assertThat(ParameterSetting.Scalar.of(false).evaluate("x", 0).asDouble()).isEqualTo(0.0);
        assertThat(ParameterSetting.Scalar.of(0.5).evaluate("x", 0).asBoolean()).isTrue();
    }
}
