package dev.evomerge.eval;

import dev.evomerge.eval.metric.SampleValue;
import dev.evomerge.eval.model.LoglikelihoodAnswer;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Multiple-choice scoring of single documents, worked out by hand. */
class ChoiceScoringTest {

    private static List<LoglikelihoodAnswer> lls(double... v) {
        return java.util.Arrays.stream(v).mapToObj(x -> new LoglikelihoodAnswer(x, false)).toList();
    }

    private static double scalar(Map<String, SampleValue> m, String k) {
        return ((SampleValue.Scalar) m.get(k)).value();
    }

    @Test
    void accNormDividesByCharacterLength() {
        // lls -2 ("a", 1 char) and -6 ("bbbb", 4 chars): acc picks 0; per char -2 vs -1.5 picks 1
        Map<String, SampleValue> m = ChoiceScoring.score(lls(-2, -6), List.of(), List.of("a", "bbbb"), 1);
        assertThat(scalar(m, "acc")).isZero();
        assertThat(scalar(m, "acc_norm")).isEqualTo(1.0);
        assertThat(m.get("f1")).isEqualTo(new SampleValue.LabelPair(1, 0));
    }

    @Test
    void accBytesCountsUtf8BytesWhereAccNormCountsCharacters() {
        // "예" is 1 character and 3 bytes, "no" 2 and 2: per char -2.4 vs -2.0 -> 1; per byte -0.8 vs -2.0 -> 0
        Map<String, SampleValue> m = ChoiceScoring.score(lls(-2.4, -4.0), List.of(), List.of("예", "no"), 0);
        assertThat(scalar(m, "acc")).isEqualTo(1.0);
        assertThat(scalar(m, "acc_norm")).isZero();
        assertThat(scalar(m, "acc_bytes")).isEqualTo(1.0);
        // a character outside the BMP is one Python character (two UTF-16 units): "😀" 1 char vs "ab" 2 chars
        Map<String, SampleValue> e = ChoiceScoring.score(lls(-1.5, -2.8), List.of(), List.of("😀", "ab"), 1);
        assertThat(scalar(e, "acc_norm")).isEqualTo(1.0);
    }

    @Test
    void exactMatchMultipleGoldsMc1Mc2AndMutualInfo() {
        List<LoglikelihoodAnswer> answers = List.of(new LoglikelihoodAnswer(-1, false), new LoglikelihoodAnswer(-2, true),
                new LoglikelihoodAnswer(-1.5, false), new LoglikelihoodAnswer(-3, false));
        Map<String, SampleValue> m = ChoiceScoring.score(answers, List.of(), List.of("t1", "t2", "f1", "f2"), List.of(0, 1));
        assertThat(scalar(m, "acc")).isEqualTo(1.0);
        assertThat(scalar(m, "exact_match")).isEqualTo(1.0);
        assertThat(scalar(m, "mc1")).isEqualTo(1.0);
        // (e^-1 + e^-2) / (e^-1 + e^-2 + e^-1.5 + e^-3)
        assertThat(scalar(m, "mc2")).isCloseTo(0.6483623338944073, within(1e-15));
        // mutual info: conditional - unconditional = [-1+0.5, -2+3, -1.5+0.5, -3+1] = [-0.5, 1, -1, -2] -> 1
        Map<String, SampleValue> mi = ChoiceScoring.score(answers, lls(-0.5, -3, -0.5, -1),
                List.of("t1", "t2", "f1", "f2"), 1);
        assertThat(scalar(mi, "acc_mutual_info")).isEqualTo(1.0);
        assertThat(scalar(mi, "acc")).isZero();
        double[] p = ((SampleValue.Probabilities) mi.get("brier_score")).probs();
        assertThat(p[0] + p[1] + p[2] + p[3]).isCloseTo(1.0, within(1e-15));
    }

    @Test
    void argmaxTakesTheFirstMaximumLikeNumpy() {
        assertThat(ChoiceScoring.argmax(new double[] {-1, -0.5, -0.5})).isEqualTo(1);
        assertThat(ChoiceScoring.argmax(new double[] {-1, Double.NaN, 0})).isEqualTo(1);
    }
}
