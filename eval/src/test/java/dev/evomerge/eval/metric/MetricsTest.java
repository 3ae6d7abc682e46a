package dev.evomerge.eval.metric;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** Aggregations and stderr against values computed by hand or with lm-eval's formulas in Python. */
class MetricsTest {

    private static List<SampleValue> scalars(double... xs) {
        return java.util.Arrays.stream(xs).mapToObj(x -> (SampleValue) new SampleValue.Scalar(x)).toList();
    }

    @Test
    void meanStderrIsTheClosedFormSampleStderr() {
        // [1,0,1,1]: mean 0.75, sample sd sqrt((3*0.0625 + 0.5625)/3) = 0.5, stderr 0.5/sqrt(4) = 0.25
        List<SampleValue> items = scalars(1, 0, 1, 1);
        assertThat(Aggregation.MEAN.apply(items)).isEqualTo(0.75);
        assertThat(Stderr.of(Aggregation.MEAN, items, 100_000).getAsDouble()).isEqualTo(0.25);
        assertThat(Stderr.of(Aggregation.MEAN, items, 0)).isEmpty();
        assertThat(Stderr.of(Aggregation.MEAN, scalars(1), 100_000)).isEmpty();
    }

    @Test
    void perplexityAndBitsPerByteFromGivenLoglikelihoods() {
        // perplexity = exp(-mean(ll)) = exp(3)
        assertThat(Aggregation.PERPLEXITY.apply(scalars(-2, -4))).isEqualTo(Math.exp(3));
        List<SampleValue> words = List.of(new SampleValue.Weighted(-10, 5), new SampleValue.Weighted(-6, 3));
        // exp(16 / 8) = e^2
        assertThat(Aggregation.WEIGHTED_PERPLEXITY.apply(words)).isCloseTo(7.38905609893065, within(1e-12));
        List<SampleValue> bytes = List.of(new SampleValue.Weighted(-10, 20), new SampleValue.Weighted(-6, 12));
        // bits_per_byte = (16/32) / ln 2; byte_perplexity = exp(0.5)
        assertThat(Aggregation.BITS_PER_BYTE.apply(bytes)).isCloseTo(0.7213475204444817, within(1e-15));
        assertThat(Aggregation.WEIGHTED_PERPLEXITY.apply(bytes)).isCloseTo(1.6487212707001282, within(1e-15));
        assertThat(Stderr.of(Aggregation.BITS_PER_BYTE, bytes, 100_000)).isEmpty();
    }

    @Test
    void bootstrapStderrReproducesLmEvalResampling() {
        // lm-eval bootstrap_stderr(perplexity, xs, 2000) computed with CPython's random in the same chunking
        List<SampleValue> xs = scalars(-2.0, -4.0, -1.5, -3.25, -0.5);
        assertThat(Aggregation.PERPLEXITY.apply(xs)).isCloseTo(9.487735836358526, within(1e-12));
        assertThat(Stderr.bootstrap(Aggregation.PERPLEXITY, xs, 2000)).isCloseTo(6.557061343030163, within(1e-9));
        assertThat(Stderr.bootstrap(Aggregation.MEAN, scalars(1, 0, 1, 1, 0, 1), 1500))
                .isCloseTo(0.19584260657163247, within(1e-12));
        assertThat(Stderr.bootstrap(Aggregation.MEDIAN, scalars(3, 1, 2, 5, 4), 1000))
                .isCloseTo(1.435116566540699, within(1e-12));
    }

    @Test
    void f1MccAndMacroF1AsScikitLearn() {
        List<SampleValue> pairs = List.of(new SampleValue.LabelPair(1, 1), new SampleValue.LabelPair(0, 1),
                new SampleValue.LabelPair(1, 0), new SampleValue.LabelPair(1, 1), new SampleValue.LabelPair(0, 0));
        // tp=2 fp=1 fn=1 -> 4/6; label 0: 2/4; macro = (0.5 + 2/3) / 2; mcc = (3*5-13)/sqrt(12*12)
        assertThat(Aggregation.F1.apply(pairs)).isEqualTo(4.0 / 6);
        assertThat(Aggregation.MACRO_F1.apply(pairs)).isCloseTo(0.5833333333333333, within(1e-15));
        assertThat(Aggregation.MATTHEWS_CORRCOEF.apply(pairs)).isCloseTo(2.0 / 12, within(1e-15));
        assertThat(Stderr.of(Aggregation.F1, pairs, 1000).getAsDouble()).isCloseTo(0.2668041110870522, within(1e-12));
        assertThat(Stderr.of(Aggregation.MACRO_F1, pairs, 1000)).isEmpty();
        assertThatThrownBy(() -> Aggregation.F1.apply(List.of(new SampleValue.LabelPair(2, 0))))
                .hasMessageContaining("binary");
    }

    @Test
    void exactMatchAppliesIgnoresInHfEvaluateOrder() {
        ExactMatch plain = ExactMatch.fromKwargs(Map.of(), "t");
        assertThat(plain.score("42", List.of("42"))).isEqualTo(1.0);
        assertThat(plain.score("42.", List.of("42"))).isEqualTo(0.0);
        ExactMatch loose = ExactMatch.fromKwargs(Map.of("ignore_case", true, "ignore_punctuation", true), "t");
        assertThat(loose.score("The answer is 42.", List.of("the answer is 42"))).isEqualTo(1.0);
        ExactMatch gsm = ExactMatch.fromKwargs(Map.of("regexes_to_ignore", List.of(",", "\\$", "(?s).*#### ", "\\.$")), "t");
        assertThat(gsm.score("so\nthe total is #### $1,234.", List.of("1234"))).isEqualTo(1.0);
        ExactMatch numbers = ExactMatch.fromKwargs(Map.of("ignore_numbers", true), "t");
        assertThat(numbers.score("abc123", List.of("abc"))).isEqualTo(1.0);
        // several references: the fraction matched, as numpy's broadcast mean gives
        assertThat(plain.score("a", List.of("a", "b", "a", "c"))).isEqualTo(0.5);
        assertThat(loose.regexesToIgnore()).isEmpty();
        assertThat(gsm.regexesToIgnore()).extracting(Pattern::pattern).contains("(?s).*#### ");
    }
}
