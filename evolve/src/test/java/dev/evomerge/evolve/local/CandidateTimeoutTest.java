package dev.evomerge.evolve.local;

import dev.evomerge.evolve.CandidateEvaluationOptions;
import dev.evomerge.evolve.EvolutionLauncher;
import dev.evomerge.evolve.EvolveOptions;
import dev.evomerge.evolve.LlmOptions;
import dev.evomerge.evolve.OptimizerKind;
import dev.evomerge.evolve.SearchOptions;
import dev.evomerge.evolve.demo.HiddenRecipe;
import dev.evomerge.evolve.run.Candidate;
import dev.evomerge.evolve.run.CandidateEvaluator;
import dev.evomerge.evolve.run.Evaluation;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * --timeout in a local run: a candidate whose evaluation server accepts the requests and never answers is stopped at
 * the limit and recorded as failed, its server is stopped, and the slot goes on with the next candidate.
 */
class CandidateTimeoutTest {

    static final long TIMEOUT = 10;

    @TempDir
    static Path dir;
    static HiddenRecipe.Setup setup;

    @BeforeAll
    static void models() {
        setup = HiddenRecipe.prepare(dir.resolve("demo"), 4, 8, 1);
    }

    @ParameterizedTest
    @Timeout(value = 3, unit = TimeUnit.MINUTES) // without the limit the stalled request would hold the slot for 10 minutes
    @ValueSource(strings = {"serial", "buffered"})
    void aStalledCandidateTimesOutAndTheNextOneIsEvaluated(String strategy) throws Exception {
        Path storage = dir.resolve("run-" + strategy);
        Path pids = Files.createDirectories(dir.resolve("pids-" + strategy));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classes = Path.of(StallingCompletionsServer.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                .toString();
        String cmd = "exec '" + java + "' -cp '" + classes + "' " + StallingCompletionsServer.class.getName()
                + " {model} {port} candidate-0-0 '" + pids + "'";
        EvolveOptions o = new EvolveOptions(setup.genomeFile(), storage, false, SearchOptions.of(OptimizerKind.CMAES, 0, 7),
                LlmOptions.of("gpt-4o", null, null), new CandidateEvaluationOptions(LocalEvaluator.Strategy.parse(strategy), false, 1,
                EvaluationBackend.OPENAI_COMPLETIONS, cmd, List.of(setup.taskDir()), null, 16, 1, TIMEOUT), false, false, false);
        EvolutionLauncher launcher = new EvolutionLauncher(o, w -> { });
        EvolutionLauncher.Prepared p = launcher.prepare();
        List<Candidate> cs = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            double[] genes = {0.5, 0.5, 0.5, 0.5};
            cs.add(new Candidate(0, i, genes, p.genome().decode(genes)));
        }
        List<Evaluation> out = new ArrayList<>();
        try (CandidateEvaluator ev = launcher.localEvaluator(p)) {
            ev.evaluate(cs, out::add);
        }
        out.sort(Comparator.comparingInt(e -> e.candidate().index()));

        assertThat(out).hasSize(2);
        Evaluation stalled = out.get(0);
        assertThat(stalled.ok()).isFalse();
        assertThat(stalled.error()).isEqualTo("evaluation timed out after 10 s (--timeout 10)");
        assertThat(stalled.mergeSeconds() + stalled.evalSeconds()).isGreaterThanOrEqualTo(TIMEOUT);
        // The next candidate got its own server, which answered (with a refusal) well within the limit.
        Evaluation next = out.get(1);
        assertThat(next.error()).contains("rejected a request with HTTP 400").contains("this server scores nothing");
        // Both servers were stopped, and no merge is left behind.
        for (String name : List.of("candidate-0-0", "candidate-0-1")) {
            long pid = Long.parseLong(Files.readString(pids.resolve(name + ".pid")).strip());
            assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).as(name).isFalse();
        }
        try (Stream<Path> left = Files.list(storage.resolve("merged"))) {
            assertThat(left.toList()).isEmpty();
        }
    }
}
