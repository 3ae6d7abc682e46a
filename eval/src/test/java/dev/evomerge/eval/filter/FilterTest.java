package dev.evomerge.eval.filter;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.eval.task.FilterSpec;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FilterTest {

    private static FilterPipeline pipeline(FilterSpec.Step... steps) {
        return FilterPipeline.of(new FilterSpec("p", List.of(steps)), "test");
    }

    private static FilterSpec.Step step(String fn, Map<String, Object> args) {
        return new FilterSpec.Step(fn, args);
    }

    @Test
    void gsm8kStrictMatchTakesTheFirstMatchOrFallback() {
        FilterPipeline strict = pipeline(step("regex", Map.of("regex_pattern", "#### (\\-?[0-9\\.\\,]+)")),
                step("take_first", Map.of()));
        assertThat(strict.apply(List.of("so #### 42 and #### 7"))).isEqualTo("42");
        assertThat(strict.apply(List.of("no answer"))).isEqualTo("[invalid]");
    }

    @Test
    void flexibleExtractTakesTheLastNumberWithGroupSelectMinusOne() {
        FilterPipeline flexible = pipeline(step("regex", Map.of("group_select", -1L,
                "regex_pattern", "(-?[$0-9.,]{2,})|(-?[0-9]+)")), step("take_first", Map.of()));
        // two groups: findall gives tuples, the first non-empty element is kept
        assertThat(flexible.apply(List.of("3 apples and 12 pears, total 15"))).isEqualTo("15");
        assertThat(flexible.apply(List.of("costs $1,200 or 7"))).isEqualTo("7");
        FilterPipeline custom = pipeline(step("regex", Map.of("regex_pattern", "x", "fallback", "none")));
        assertThat(custom.apply(List.of("abc", "xyz"))).isEqualTo(List.of("none", "x"));
    }

    @Test
    void caseMapAndSelectionFilters() {
        assertThat(pipeline(step("lowercase", Map.of()), step("take_first", Map.of())).apply(List.of("AbC", "D")))
                .isEqualTo("abc");
        assertThat(pipeline(step("uppercase", Map.of())).apply(List.of("ab"))).isEqualTo(List.of("AB"));
        FilterPipeline map = pipeline(step("map", Map.of("mapping_dict", Map.of("yes", 1L, "no", 0L),
                "default_value", -1L)), step("take_first", Map.of()));
        assertThat(map.apply(List.of("no"))).isEqualTo(0L);
        assertThat(map.apply(List.of("maybe"))).isEqualTo(-1L);
        assertThat(pipeline(step("majority_vote", Map.of()), step("take_first", Map.of()))
                .apply(List.of("a", "b", "b", "a", "b"))).isEqualTo("b");
        assertThat(pipeline(step("take_first_k", Map.of("k", 2L))).apply(List.of("a", "b", "c")))
                .isEqualTo(List.of("a", "b"));
        assertThat(pipeline(step("take_first", Map.of())).onlySelects()).isTrue();
        assertThat(pipeline(step("lowercase", Map.of())).onlySelects()).isFalse();
    }

    @Test
    void unknownFilterOrBadRegexIsOneSentence() {
        assertThatThrownBy(() -> pipeline(step("sort", Map.of()))).isInstanceOf(EvomergeException.class)
                .hasMessageContaining("filter function 'sort' is not supported");
        assertThatThrownBy(() -> pipeline(step("regex", Map.of("regex_pattern", "(unclosed"))))
                .isInstanceOf(EvomergeException.class).hasMessageContaining("not a valid regex");
    }
}
