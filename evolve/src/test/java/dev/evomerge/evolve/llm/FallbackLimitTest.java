package dev.evomerge.evolve.llm;

import dev.evomerge.core.EvomergeException;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FallbackLimitTest {

    static LlmExchange fallback(int generation, String cause) {
        return new LlmExchange(generation, 2, List.of(), null, null, 0, "no usable mean genome after 1 attempt; using the "
                + "best genome so far (last: " + cause + ")", true);
    }

    static LlmExchange reply(int generation) {
        return new LlmExchange(generation, 1, List.of(), "{}", "t", 5, null, false);
    }

    @Test
    void nFallbacksInARowStopTheRunNamingTheLastCause() {
        FallbackLimit limit = new FallbackLimit(2);
        limit.accept(fallback(1, "HTTP 500: a"));
        limit.accept(reply(2)); // a usable reply resets the count
        limit.accept(fallback(3, "HTTP 500: b"));
        // a generation whose candidates all failed (the LLM was not asked) neither counts nor resets
        limit.accept(new LlmExchange(4, 0, List.of(), null, null, 0, "every candidate failed", true));
        assertThat(limit.consecutive()).isEqualTo(1);
        assertThatThrownBy(() -> limit.accept(fallback(5, "HTTP 401: bad key")))
                .isInstanceOf(EvomergeException.class)
                .hasMessageContaining("no usable reply for 2 generations in a row")
                .hasMessageContaining("HTTP 401: bad key")
                .hasMessageContaining("--max-fallbacks 0")
                .satisfies(e -> assertThat(((EvomergeException) e).kind()).isEqualTo(EvomergeException.Kind.RUNTIME));
    }

    @Test
    void zeroNeverStops() {
        FallbackLimit limit = new FallbackLimit(0);
        for (int g = 1; g <= 50; g++) {
            limit.accept(fallback(g, "x"));
        }
        assertThat(limit.consecutive()).isEqualTo(50);
        assertThatThrownBy(() -> new FallbackLimit(-1)).isInstanceOf(EvomergeException.class).hasMessageContaining("--max-fallbacks");
    }
}
