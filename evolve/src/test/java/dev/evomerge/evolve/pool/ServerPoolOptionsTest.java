package dev.evomerge.evolve.pool;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.evolve.CandidateEvaluationOptions;
import dev.evomerge.evolve.local.EvaluationBackend;
import dev.evomerge.evolve.local.LocalEvaluator;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The server pool's options: each bad value refused with one sentence naming its option. */
class ServerPoolOptionsTest {

    private static CandidateEvaluationOptions evaluation(String cmd, ServerPoolOptions pool) {
        return new CandidateEvaluationOptions(LocalEvaluator.Strategy.POOL, true, 1, EvaluationBackend.EMBEDDED, cmd,
                List.of(), null, 16, 1, null, pool);
    }

    @Test
    void serversAreNamedByTheirRootWithOrWithoutV1() {
        ServerPoolOptions o = new ServerPoolOptions(List.of("http://127.0.0.1:30000/v1/", "http://10.0.0.2:8000"), null, null);
        o.check();
        assertThat(o.reload()).isEqualTo("detect");
        assertThat(o.reloadOption()).isEmpty();
        assertThat(o.endpoints()).extracting(Object::toString).containsExactly("http://127.0.0.1:30000", "http://10.0.0.2:8000");
        assertThat(new ServerPoolOptions(List.of("http://h:1"), "sglang", null).reloadOption()).contains("sglang");
    }

    @Test
    void badValuesAreRefusedNamingTheOption() {
        assertThatThrownBy(() -> new ServerPoolOptions(List.of("127.0.0.1:30000"), null, null).check())
                .isInstanceOf(EvomergeException.class).hasMessageContaining("--eval-server 127.0.0.1:30000");
        assertThatThrownBy(() -> new ServerPoolOptions(List.of("http://h:1"), "tgi", null).check())
                .hasMessage("--eval-server-reload must be one of detect, sglang, vllm, evomerge, none, got 'tgi'.");
        assertThatThrownBy(() -> new ServerPoolOptions(List.of("http://h:1", "http://h:1/v1"), null, null).check())
                .hasMessageContaining("--eval-server names the same server twice");
    }

    @Test
    void optionsThatMeanNothingWithoutOrWithAPoolAreRefused() {
        check(evaluation(null, ServerPoolOptions.NONE)); // the default: nothing to say
        assertThatThrownBy(() -> check(evaluation(null, new ServerPoolOptions(List.of(), null, Path.of("/x")))))
                .hasMessageStartingWith("--scratch-dir is where candidates are merged for --eval-server servers");
        assertThatThrownBy(() -> check(evaluation(null, new ServerPoolOptions(List.of(), "vllm", null))))
                .hasMessageStartingWith("--eval-server-reload says how --eval-server servers reload weights");
        assertThatThrownBy(() -> check(evaluation("vllm serve {model} --port {port}",
                new ServerPoolOptions(List.of("http://h:1"), null, null))))
                .hasMessageStartingWith("--eval-server uses servers that are already running, --eval-server-cmd");
    }

    private static void check(CandidateEvaluationOptions e) {
        ServerPools.check(e.serverPool(), e.evalServerCmd());
    }
}
