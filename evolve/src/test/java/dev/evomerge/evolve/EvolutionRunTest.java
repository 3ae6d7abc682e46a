package dev.evomerge.evolve;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.evomerge.evolve.genome.Genome;
import dev.evomerge.evolve.genome.GenomeDefinition;
import dev.evomerge.evolve.genome.TaskSpec;
import dev.evomerge.evolve.optimizer.CmaEs;
import dev.evomerge.evolve.optimizer.Population;
import dev.evomerge.evolve.run.Candidate;
import dev.evomerge.evolve.run.CandidateEvaluator;
import dev.evomerge.evolve.run.Evaluation;
import dev.evomerge.evolve.run.EvolutionListener;
import dev.evomerge.evolve.run.GenerationStats;
import dev.evomerge.evolve.run.MetricKey;
import dev.evomerge.evolve.store.RunBeforeTypedResults;
import dev.evomerge.evolve.store.RunStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;

class EvolutionRunTest {

    static final List<TaskSpec> TASKS = List.of(new TaskSpec("a", 1.0, "acc,none"), new TaskSpec("b", 0.5, "acc,none"));
    static final double[] TARGET = {0.3, 0.7, 0.6, 0.2};
    static final MetricKey A = MetricKey.of(TASKS.get(0));
    static final MetricKey B = MetricKey.of(TASKS.get(1));

    static Genome genome() {
        return new Genome(new GenomeDefinition(List.of("m1", "m2"), "task_arithmetic", "base", null, 2, null, false, false, List.of()), 4);
    }

    /** Scores genes by closeness to TARGET as two "task" metrics; candidates listed in failOn fail. */
    static final class QuadraticEvaluator implements CandidateEvaluator {
        final List<Candidate> seen = new ArrayList<>();
        int stopAfter = Integer.MAX_VALUE;

        @Override
        public void evaluate(List<Candidate> candidates, Consumer<Evaluation> done) {
            for (Candidate c : candidates) {
                if (seen.size() >= stopAfter) {
                    throw new IllegalStateException("killed");
                }
                seen.add(c);
                double d = 0;
                for (int i = 0; i < 4; i++) {
                    d += (c.genes()[i] - TARGET[i]) * (c.genes()[i] - TARGET[i]);
                }
                if (c.index() == 1 && c.generation() == 0) {
                    done.accept(Evaluation.failed(c, "merge failed: tensor missing", 0.1, 0, "test"));
                } else if (c.index() == 2 && c.generation() == 0) {
                    // a task that returns NaN must fail the candidate, not score 0
                    done.accept(new Evaluation(c, Double.NaN, Map.of(A, Double.NaN, B, 0.5), null, 0, 0, "test"));
                } else {
                    done.accept(new Evaluation(c, Double.NaN, Map.of(A, 1 - d, B, 1 - 2 * d), null, 0.01, 0.02, "test"));
                }
            }
        }
    }

    static CmaEs optimizer() {
        return CmaEs.start(genome().initialGenes(), 1.0 / 6, Population.defaultSize(4), 17);
    }

    @Test
    void recordsEveryCandidateScoresFailuresAndWritesBestConfigAndSummary(@TempDir Path dir) throws Exception {
        QuadraticEvaluator eval = new QuadraticEvaluator();
        EvolutionRun.Result r;
        try (RunStore store = RunStore.open(dir)) {
            r = new EvolutionRun(store, dir, genome(), TASKS, optimizer(), eval, new EvolutionListener() { }).run(0, 5, null);
            List<Evaluation> all = store.allCandidates();
            assertThat(all).hasSize(6 * 8);
            Evaluation failed = store.candidates(0).get(1);
            assertThat(failed.ok()).isFalse();
            assertThat(failed.error()).isEqualTo("merge failed: tensor missing");
            Evaluation nan = store.candidates(0).get(2);
            assertThat(nan.ok()).isFalse();
            assertThat(nan.error()).contains("task a metric 'acc,none' is NaN");
            Evaluation ok = store.candidates(3).get(0);
            double d = 0;
            for (int i = 0; i < 4; i++) {
                d += (ok.candidate().genes()[i] - TARGET[i]) * (ok.candidate().genes()[i] - TARGET[i]);
            }
            assertThat(ok.score()).isEqualTo((1 - d) + 0.5 * (1 - 2 * d));
            assertThat(store.latestOptimizerState().orElseThrow().generation()).isEqualTo(5);
        }
        assertThat(r.evaluations()).isEqualTo(48);
        String bestYaml = Files.readString(dir.resolve("best_config.yaml"));
        assertThat(bestYaml).isEqualTo(r.best().candidate().mergeYaml()).startsWith("merge_method: task_arithmetic");
        var summary = new ObjectMapper().readTree(dir.resolve("summary.json").toFile());
        assertThat(summary.get("best_score").asDouble()).isEqualTo(r.best().score());
        assertThat(summary.get("evaluations").asInt()).isEqualTo(48);
    }

    @Test
    void aRunKilledMidGenerationResumesWithoutReevaluatingAndEndsAsAnUninterruptedRun(@TempDir Path dir) {
        Path full = dir.resolve("full");
        Path killed = dir.resolve("killed");
        QuadraticEvaluator ref = new QuadraticEvaluator();
        try (RunStore s = RunStore.open(full)) {
            new EvolutionRun(s, full, genome(), TASKS, optimizer(), ref, new EvolutionListener() { }).run(0, 4, null);
        }
        // First attempt dies during generation 2 after 20 evaluations (8 per generation).
        QuadraticEvaluator first = new QuadraticEvaluator();
        first.stopAfter = 20;
        try (RunStore s = RunStore.open(killed)) {
            new EvolutionRun(s, killed, genome(), TASKS, optimizer(), first, new EvolutionListener() { }).run(0, 4, null);
        } catch (IllegalStateException expected) {
            assertThat(expected).hasMessage("killed");
        }
        QuadraticEvaluator second = new QuadraticEvaluator();
        try (RunStore s = RunStore.open(killed)) {
            RunStore.SavedState saved = s.latestOptimizerState().orElseThrow();
            assertThat(saved.generation()).isEqualTo(1);
            CmaEs resumed = new CmaEs(saved.as(CmaEs.State.class));
            new EvolutionRun(s, killed, genome(), TASKS, resumed, second, new EvolutionListener() { }).run(saved.generation() + 1, 4, null);
            assertThat(second.seen).hasSize(5 * 8 - 20);
            assertThat(second.seen.get(0).generation()).isEqualTo(2);
            assertThat(second.seen.get(0).index()).isEqualTo(4);
            try (RunStore f = RunStore.open(full)) {
                List<Evaluation> a = f.allCandidates();
                List<Evaluation> b = s.allCandidates();
                assertThat(b).hasSize(a.size());
                for (int i = 0; i < a.size(); i++) {
                    assertThat(b.get(i).candidate().genes()).containsExactly(a.get(i).candidate().genes());
                    assertThat(b.get(i).score()).isEqualTo(a.get(i).score());
                }
            }
        }
    }

    @Test
    void resumeRewritesAStaleBestConfigFromTheRunStoresBest(@TempDir Path dir) throws Exception {
        Path bestFile = dir.resolve("best_config.yaml");
        Evaluation best;
        String stale;
        try (RunStore s = RunStore.open(dir)) {
            new EvolutionRun(s, dir, genome(), TASKS, optimizer(), new QuadraticEvaluator(), new EvolutionListener() { }).run(0, 2, null);
            best = s.allCandidates().stream().filter(Evaluation::ok)
                    .max(java.util.Comparator.comparingDouble(Evaluation::score)).orElseThrow();
            // The crash state: run.db recorded a new best, the process died before best_config.yaml was rewritten.
            stale = s.candidates(0).get(0).candidate().mergeYaml();
            assertThat(stale).isNotEqualTo(best.candidate().mergeYaml());
            Files.writeString(bestFile, stale);

            // Resumed, and killed again before its first candidate: the file already names run.db's best.
            QuadraticEvaluator dying = new QuadraticEvaluator();
            dying.stopAfter = 0;
            RunStore.SavedState saved = s.latestOptimizerState().orElseThrow();
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> new EvolutionRun(s, dir, genome(), TASKS,
                    new CmaEs(saved.as(CmaEs.State.class)), dying, new EvolutionListener() { }).run(saved.generation() + 1, 4, null))
                    .hasMessage("killed");
            assertThat(Files.readString(bestFile)).isEqualTo(best.candidate().mergeYaml());

            // Resuming a finished run (nothing left to evaluate) repairs the file too, and summary.json agrees.
            Files.writeString(bestFile, stale);
            var r = new EvolutionRun(s, dir, genome(), TASKS, new CmaEs(saved.as(CmaEs.State.class)), new QuadraticEvaluator(),
                    new EvolutionListener() { }).run(saved.generation() + 1, 2, null);
            assertThat(r.best().candidate().mergeYaml()).isEqualTo(best.candidate().mergeYaml());
        }
        assertThat(Files.readString(bestFile)).isEqualTo(best.candidate().mergeYaml());
        assertThat(new ObjectMapper().readTree(dir.resolve("summary.json").toFile()).get("best_config").asText())
                .isEqualTo(best.candidate().mergeYaml());
    }

    @Test
    void maxEvaluationsStopsAtTheGenerationBoundary(@TempDir Path dir) {
        try (RunStore s = RunStore.open(dir)) {
            var r = new EvolutionRun(s, dir, genome(), TASKS, optimizer(), new QuadraticEvaluator(), new EvolutionListener() { })
                    .run(0, 10, 20);
            assertThat(r.evaluations()).isEqualTo(24);
            assertThat(s.allCandidates()).hasSize(24);
        }
    }

    @Test
    void aRunStoredBeforeTheTypedResultsResumesWithoutReevaluatingAndKeepsItsBest(@TempDir Path dir) throws Exception {
        Path run = RunBeforeTypedResults.copyTo(dir.resolve("run"));
        String models = "/tmp/results-demo/w/models/";
        Genome genome = new Genome(new GenomeDefinition(List.of(models + "finetune-a", models + "finetune-b"), "task_arithmetic",
                models + "base", null, 2, null, false, false, List.of()), 4);
        TaskSpec task = new TaskSpec(RunBeforeTypedResults.TASK, 1.0, "acc,none");
        List<Candidate> seen = new ArrayList<>();
        CandidateEvaluator weak = (candidates, done) -> candidates.forEach(c -> {
            seen.add(c);
            done.accept(new Evaluation(c, Double.NaN, Map.of(MetricKey.of(task), 0.25), null, 0, 0, "test"));
        });
        List<GenerationStats> generations = new ArrayList<>();
        EvolutionListener listener = new EvolutionListener() {
            @Override
            public void generationDone(GenerationStats stats) {
                generations.add(stats);
            }
        };
        EvolutionRun.Result r;
        try (RunStore s = RunStore.open(run)) {
            RunStore.SavedState saved = s.latestOptimizerState().orElseThrow();
            assertThat(saved.generation()).isEqualTo(RunBeforeTypedResults.LAST_GENERATION);
            r = new EvolutionRun(s, run, genome, List.of(task), new CmaEs(saved.as(CmaEs.State.class)), weak, listener)
                    .run(saved.generation() + 1, 3, null);
            assertThat(s.allCandidates()).hasSize(RunBeforeTypedResults.CANDIDATES + 8);
        }
        assertThat(seen).hasSize(8).allSatisfy(c -> assertThat(c.generation()).isEqualTo(3));
        assertThat(generations).containsExactly(new GenerationStats(3, 8, 0, 0.25, 0.25, 0.8020833333333334));
        assertThat(r.evaluations()).isEqualTo(RunBeforeTypedResults.CANDIDATES + 8);
        assertThat(Files.readString(run.resolve("best_config.yaml"))).isEqualTo(RunBeforeTypedResults.text("best_config.yaml"));
        ObjectMapper json = new ObjectMapper();
        var before = json.readTree(RunBeforeTypedResults.text("summary.json"));
        var after = json.readTree(run.resolve("summary.json").toFile());
        for (String field : List.of("best_score", "best_generation", "best_index", "best_genes", "best_metrics", "best_config")) {
            assertThat(after.get(field)).as(field).isEqualTo(before.get(field));
        }
        // the metrics keep their text form and order in summary.json
        assertThat(json.writeValueAsString(after.get("best_metrics"))).isEqualTo(json.writeValueAsString(before.get("best_metrics")));
    }
}
