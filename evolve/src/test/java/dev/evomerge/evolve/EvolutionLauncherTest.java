package dev.evomerge.evolve;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.evomerge.evolve.demo.HiddenRecipe;
import dev.evomerge.evolve.llm.ScriptedOpenAiServer;
import dev.evomerge.evolve.llm.ScriptedOpenAiServer.Reply;
import dev.evomerge.evolve.run.EvolutionListener;
import dev.evomerge.evolve.run.MetricKey;
import dev.evomerge.evolve.store.RunMeta;
import dev.evomerge.evolve.store.RunStore;
import dev.evomerge.merge.MergeOptions;
import dev.evomerge.merge.MergeReporter;
import dev.evomerge.merge.MergeSession;
import dev.evomerge.merge.config.MergeConfigReader;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** A real evolution on synthetic models: the LLM strategy against a scripted OpenAI-protocol server. */
class EvolutionLauncherTest {

    @TempDir
    static Path dir;
    static HiddenRecipe.Setup setup;

    @BeforeAll
    static void models() {
        setup = HiddenRecipe.prepare(dir.resolve("demo"), 5, 32, 2);
    }

    static EvolveOptions options(Path storage, String optimizer, String baseUrl, int generations) {
        return options(setup.genomeFile(), storage, optimizer, baseUrl, generations);
    }

    static EvolveOptions options(Path genomeFile, Path storage, String optimizer, String baseUrl, int generations) {
        return new EvolveOptions(genomeFile, storage, false,
                new SearchOptions(OptimizerKind.parse(optimizer), generations, null, 11, 6, false, null),
                new LlmOptions("gpt-4o", baseUrl, "sk-secret-key", 4, 0, 0.02, 0.2, 3, 3, null, null),
                CandidateEvaluationOptions.inMemory(List.of(setup.taskDir()), 16, 2), true, false, false);
    }

    @Test
    void theLlmStrategyRunsEndToEndAndRecordsEverything() throws Exception {
        Path storage = dir.resolve("llm-run");
        try (ScriptedOpenAiServer llm = new ScriptedOpenAiServer()) {
            // The first reply is not JSON (a correction and a retry follow); then the LLM proposes the hidden recipe.
            llm.then(Reply.content("I think the first model matters most."))
                    .otherwise(req -> Reply.content("{\"thought\": \"model A early, model B late\", "
                            + "\"mean_genome\": [[[[85]], [[15]]], [[[20]], [[75]]]]}"));
            EvolutionLauncher launcher = new EvolutionLauncher(options(storage, "llm", llm.baseUrl(), 2), w -> { });
            EvolutionLauncher.Prepared p = launcher.prepare();
            EvolutionRun.Result r = launcher.run(p, launcher::localEvaluator, new EvolutionListener() { });

            assertThat(r.evaluations()).isEqualTo(3 * 6);
            assertThat(r.best().score()).isGreaterThanOrEqualTo(0.9);
            try (RunStore s = RunStore.openReadOnly(storage)) {
                assertThat(s.allCandidates()).hasSize(18).allSatisfy(c -> assertThat(c.ok()).isTrue());
                assertThat(s.exchanges()).hasSize(3); // generation 1: a rejected reply and a good one; generation 2: one
                assertThat(s.exchanges().get(0).error()).isEqualTo("the reply is not valid JSON.");
                assertThat(s.exchanges().get(1).thought()).isEqualTo("model A early, model B late");
                assertThat(s.meta(RunMeta.STATUS)).contains("completed");
                assertThat(s.meta(RunMeta.OPTIONS).orElseThrow()).doesNotContain("sk-secret-key").contains("\"optimizer\":\"llm\"");
                assertThat(s.latestOptimizerState().orElseThrow().generation()).isEqualTo(2);
            }
            assertThat(llm.authorizations()).allMatch("Bearer sk-secret-key"::equals);
        }
        // No secret anywhere in the run's files.
        for (String f : new String[] {"run.db", "summary.json", "best_config.yaml"}) {
            assertThat(new String(Files.readAllBytes(storage.resolve(f)), StandardCharsets.ISO_8859_1)).as(f).doesNotContain("sk-secret-key");
        }
        // best_config.yaml is a plain mergekit YAML that merges again, and final_model is that merge.
        String best = Files.readString(storage.resolve("best_config.yaml"));
        var summary = new ObjectMapper().readTree(storage.resolve("summary.json").toFile());
        assertThat(summary.get("best_config").asText()).isEqualTo(best);
        Path again = dir.resolve("again");
        try (MergeSession s = MergeSession.open(MergeConfigReader.parse(best, "best_config.yaml", w -> { }),
                MergeOptions.defaults(), MergeReporter.silent())) {
            s.writeModel(again);
        }
        assertThat(Files.readAllBytes(storage.resolve("final_model/model.safetensors")))
                .isEqualTo(Files.readAllBytes(again.resolve("model.safetensors")));
        assertThat(storage.resolve("final_model/config.json")).exists();
        assertThat(storage.resolve("final_model/tokenizer.json")).exists();
    }

    @Test
    void relativeModelPathsResolveAgainstTheWorkingDirectoryAndMergeFromThere() throws Exception {
        // The models seen from the working directory under a relative name; the genome file lives elsewhere.
        String rel = "target/relative-models-" + ProcessHandle.current().pid();
        Path link = Path.of(rel);
        Files.createDirectories(link.getParent());
        Files.deleteIfExists(link);
        Files.createSymbolicLink(link, setup.genomeFile().getParent().resolve("models"));
        try {
            Path genome = Files.createDirectories(dir.resolve("elsewhere")).resolve("genome.yml");
            Files.writeString(genome, """
                    genome:
                      models: [%1$s/finetune-a, %1$s/finetune-b]
                      merge_method: task_arithmetic
                      base_model: %1$s/base
                      layer_granularity: 2
                    tasks: [%2$s]
                    """.formatted(rel, setup.taskName()));
            EvolutionLauncher launcher = new EvolutionLauncher(options(genome, dir.resolve("relative-run"), "cmaes", null, 0), w -> { });
            EvolutionLauncher.Prepared p = launcher.prepare();
            Path cwd = Path.of("").toAbsolutePath();
            assertThat(p.settings().baseDirectory()).isEqualTo(cwd.toString());
            assertThat(p.settings().modelPaths()).containsExactly(cwd.resolve(rel + "/finetune-a").toString(),
                    cwd.resolve(rel + "/finetune-b").toString(), cwd.resolve(rel + "/base").toString());
            assertThat(p.settings().modelDirectories()).containsEntry(rel + "/base", cwd.resolve(rel + "/base").toString());
            // The recipe keeps the names the genome uses, and merges (in memory) from the working directory's view.
            var candidate = new dev.evomerge.evolve.run.Candidate(0, 0, HiddenRecipe.TARGET_GENES,
                    p.genome().decode(HiddenRecipe.TARGET_GENES));
            assertThat(candidate.mergeYaml()).contains("model: " + rel + "/finetune-a").doesNotContain(cwd.toString());
            List<dev.evomerge.evolve.run.Evaluation> out = new java.util.ArrayList<>();
            try (var evaluator = launcher.localEvaluator(p)) {
                evaluator.evaluate(List.of(candidate), out::add);
            }
            assertThat(out).hasSize(1);
            assertThat(out.getFirst().error()).isNull();
            assertThat(out.getFirst().metrics().get(new MetricKey(setup.taskName(), "acc,none"))).isEqualTo(1.0); // the hidden target itself
        } finally {
            Files.deleteIfExists(link);
        }
    }

    @Test
    void resumingACompletedRunWithMoreGenerationsReevaluatesNothing() throws Exception {
        Path storage = dir.resolve("cma-run");
        EvolutionLauncher first = new EvolutionLauncher(options(storage, "cmaes", null, 1), w -> { });
        EvolutionLauncher.Prepared p1 = first.prepare();
        first.run(p1, first::localEvaluator, new EvolutionListener() { });
        try (RunStore s = RunStore.openReadOnly(storage)) {
            assertThat(s.allCandidates()).hasSize(12);
        }
        EvolveOptions more = options(storage, "cmaes", null, 3);
        more = new EvolveOptions(more.genomeFile(), more.storage(), true, more.search(), more.llm(), more.evaluation(),
                more.saveFinalModel(), more.allowCrimes(), more.allowBenchmarkTasks());
        EvolutionLauncher second = new EvolutionLauncher(more, w -> { });
        EvolutionLauncher.Prepared p2 = second.prepare();
        assertThat(p2.firstGeneration()).isEqualTo(2);
        int[] evaluated = {0};
        second.run(p2, x -> {
            var inner = second.localEvaluator(x);
            return new dev.evomerge.evolve.run.CandidateEvaluator() {
                @Override
                public void evaluate(List<dev.evomerge.evolve.run.Candidate> cs, java.util.function.Consumer<dev.evomerge.evolve.run.Evaluation> done) {
                    evaluated[0] += cs.size();
                    inner.evaluate(cs, done);
                }

                @Override
                public void close() {
                    inner.close();
                }
            };
        }, new EvolutionListener() { });
        assertThat(evaluated[0]).isEqualTo(12);
        try (RunStore s = RunStore.openReadOnly(storage)) {
            assertThat(s.allCandidates()).hasSize(24);
        }
    }
}
