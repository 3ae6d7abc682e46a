package dev.evomerge.dashboard;

import dev.evomerge.engine.chat.ChatMessage;
import dev.evomerge.evolve.llm.LlmExchange;
import dev.evomerge.evolve.optimizer.CmaEs;
import dev.evomerge.evolve.run.Candidate;
import dev.evomerge.evolve.run.TestCandidates;
import dev.evomerge.evolve.run.Evaluation;
import dev.evomerge.evolve.run.MetricKey;
import dev.evomerge.evolve.store.RunMeta;
import dev.evomerge.evolve.store.RunStore;
import dev.evomerge.evolve.store.StoredLayout;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Writes a run.db the way an evolution does: real CMA-ES generations on a two-task objective, one failed candidate. */
final class RunFixtures {

    static final String HOSTILE_THOUGHT = "<script>document.body.dataset.pwned='script'</script>"
            + "<img src=x onerror=\"document.body.dataset.pwned='img'\"><script>alert(1)</script>";

    /** 4 generations x 6 candidates over a (2, 2, 1, 1) genome; returns the number of candidates written. */
    static int write(Path storage) {
        int count = 0;
        try (RunStore s = RunStore.open(storage)) {
            s.putMeta(RunMeta.CONFIG_YAML, "genome:\n  models: [a, b]\n  merge_method: task_arithmetic\n  base_model: base\n"
                    + "  layer_granularity: 2\ntasks:\n  - mc_task\n  - gen_task\n");
            s.putMeta(RunMeta.OPTIONS, "{\"optimizer\":\"cmaes\",\"max_generation\":3,\"random_seed\":1,\"llmPricePerMtok\":\"2.5,10\"}");
            s.putLayout(new StoredLayout("task_arithmetic", List.of(2, 2, 1, 1), List.of("a", "b"), List.of("weight"), List.of(),
                    List.of(List.of(0, 2), List.of(2, 4))));
            s.putMeta(RunMeta.TASKS, "[{\"name\":\"mc_task\",\"weight\":1.0,\"metric\":\"acc,none\"},"
                    + "{\"name\":\"gen_task\",\"weight\":1.0,\"metric\":\"exact_match,none\"}]");
            s.putMeta(RunMeta.OPTIMIZER, "cmaes");
            s.putMeta(RunMeta.STATUS, "completed");
            CmaEs es = CmaEs.start(new double[] {0.5, 0.5, 0.5, 0.5}, 1.0 / 6, 6, 5);
            double[] target = {0.2, 0.8, 0.6, 0.3};
            for (int g = 0; g < 4; g++) {
                List<double[]> xs = es.ask();
                double[] f = new double[xs.size()];
                for (int k = 0; k < xs.size(); k++) {
                    double d = 0;
                    for (int i = 0; i < 4; i++) {
                        d += (xs.get(k)[i] - target[i]) * (xs.get(k)[i] - target[i]);
                    }
                    double acc = 1 - d;
                    double em = 1 - 2 * d;
                    boolean failed = g == 1 && k == 2;
                    f[k] = failed ? Double.NEGATIVE_INFINITY : acc + em;
                    Candidate c = TestCandidates.of(g, k, xs.get(k));
                    s.recordCandidate(failed ? Evaluation.failed(c, "merge failed: <b>tensor</b> missing", 0.5 + k, 1.5 + g, "local-0")
                            : new Evaluation(c, f[k], Map.of(new MetricKey("mc_task", "acc,none"), acc,
                                    new MetricKey("gen_task", "exact_match,none"), em), null, 0.5 + k, 1.5 + g, "local-0"));
                    count++;
                }
                es.tell(xs, f);
                s.saveOptimizerState(g, es.name(), es.state());
                s.recordExchange(new LlmExchange(g + 1, 1, List.of(ChatMessage.user("u")), "{}",
                        g == 1 ? HOSTILE_THOUGHT : "thought of generation " + (g + 1), 100, null, false)
                        .withUsage(new dev.evomerge.evolve.llm.TokenUsage(1000 * (g + 1), 50, false)));
            }
            s.recordExchange(new LlmExchange(4, 2, List.of(), null, null, 0, "no usable mean genome after 3 attempts", true));
            s.recordExchange(new LlmExchange(5, 1, List.of(), null, null, 40, "HTTP 429: slow down; retry 1 of 5 in 2.0 s", false,
                    LlmExchange.RETRY, 429));
        }
        return count;
    }

    private RunFixtures() {
    }
}
