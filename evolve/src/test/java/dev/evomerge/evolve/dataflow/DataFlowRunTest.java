package dev.evomerge.evolve.dataflow;

import com.fasterxml.jackson.databind.JsonNode;
import dev.evomerge.core.io.TextFiles;
import dev.evomerge.evolve.CandidateEvaluationOptions;
import dev.evomerge.evolve.EvolutionLauncher;
import dev.evomerge.evolve.EvolutionRun;
import dev.evomerge.evolve.EvolveOptions;
import dev.evomerge.evolve.LlmOptions;
import dev.evomerge.evolve.OptimizerKind;
import dev.evomerge.evolve.SearchOptions;
import dev.evomerge.evolve.demo.HiddenPath;
import dev.evomerge.evolve.llm.ScriptedOpenAiServer;
import dev.evomerge.evolve.run.Evaluation;
import dev.evomerge.evolve.run.EvolutionListener;
import dev.evomerge.evolve.store.RunStore;
import dev.evomerge.merge.config.MergeConfig;
import dev.evomerge.merge.config.MergeConfigReader;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Data-flow runs end to end on the demo's hidden-path problem (16 questions), in memory, with a real run store. */
class DataFlowRunTest {

    @TempDir
    static Path dir;
    static HiddenPath.Setup setup;

    @BeforeAll
    static void problem() {
        setup = HiddenPath.prepare(dir.resolve("problem"), 3, 16, 2);
    }

    static EvolveOptions options(Path storage, OptimizerKind optimizer, int generations, int population, String llmUrl) {
        return new EvolveOptions(setup.genomeFile(), storage, false,
                new SearchOptions(optimizer, generations, null, 7, population, false, null),
                new LlmOptions("gpt-4o", llmUrl, "sk-test", 4, 0, 0.05, 0.2, 3, 3, null, null),
                CandidateEvaluationOptions.inMemory(List.of(setup.taskDir()), 16, 2), false, false, false);
    }

    static EvolutionRun.Result run(EvolutionLauncher launcher) {
        EvolutionLauncher.Prepared p = launcher.prepare();
        return launcher.run(p, launcher::localEvaluator, new EvolutionListener() { });
    }

    @Test
    void aDataFlowRunStoresPassthroughRecipesAndPenalisesLongPathsWithoutRunningThem() {
        Path storage = dir.resolve("dfs-random");
        // the genome file's data_flow section makes it a data-flow run without --space
        EvolutionLauncher launcher = new EvolutionLauncher(options(storage, OptimizerKind.RANDOM, 1, 6, null), w -> { });
        EvolutionRun.Result r = run(launcher);
        assertThat(launcher.space()).isEqualTo(SearchSpace.DFS);
        assertThat(r.evaluations()).isEqualTo(12);
        DataFlowGenome genome = launcher.dataFlow().genome();
        try (RunStore s = RunStore.openReadOnly(storage)) {
            List<Evaluation> all = s.allCandidates();
            assertThat(all).hasSize(12);
            int penalised = 0;
            for (Evaluation e : all) {
                LayerPath path = genome.decode(e.candidate().genes());
                MergeConfig stored = MergeConfigReader.parse(e.candidate().mergeYaml(), "run.db", w -> { });
                assertThat(stored.mergeMethod()).isEqualTo("passthrough");
                if (genome.tooLong(path)) {
                    penalised++;
                    assertThat(e.worker()).isEqualTo(DataFlowEvaluator.PENALISED);
                    assertThat(e.score()).isEqualTo(-(path.length() - genome.maxLayers()));
                    assertThat(e.metrics()).containsEntry(DataFlowEvaluator.PENALTY, (double) (path.length() - genome.maxLayers()));
                } else {
                    assertThat(e.worker()).isEqualTo("local-dataflow");
                    assertThat(e.score()).isBetween(0.0, 1.0);
                }
            }
            // uniform genes include about half of 16 positions: most random paths exceed max_layers 6
            assertThat(penalised).isGreaterThan(0);
            assertThat(s.meta(SearchPhases.SPACE)).contains("dfs");
            assertThat(SearchPhases.read(s.meta(SearchPhases.KEY).orElseThrow())).containsExactly(new SearchPhases.Phase("dfs", 0));
            assertThat(s.layout().orElseThrow().method()).isEqualTo("data_flow");
            assertThat(s.layout().orElseThrow().parameters()).hasSize(20).startsWith("r0 m0 L0").endsWith("scale m1>m1");
        }
        MergeConfig best = MergeConfigReader.parse(TextFiles.readUtf8(storage.resolve("best_config.yaml"), "best"), "best", w -> { });
        assertThat(best.mergeMethod()).isEqualTo("passthrough");
        assertThat(best.slices().getFirst().sources().getFirst().model().path()).endsWith("model-a");
        assertThat(r.best().score()).isGreaterThanOrEqualTo(0.0);
    }

    @Test
    void aDataFlowRunResumesWithItsStoredSpaceAndReevaluatesNothing() {
        Path storage = dir.resolve("dfs-resume");
        EvolveOptions first = options(storage, OptimizerKind.CMAES, 0, 4, null);
        EvolutionLauncher a = new EvolutionLauncher(first, w -> { }).space(SearchSpace.DFS);
        run(a);
        EvolveOptions more = new EvolveOptions(first.genomeFile(), storage, true,
                new SearchOptions(OptimizerKind.CMAES, 1, null, 7, 4, false, null), first.llm(), first.evaluation(),
                false, false, false);
        EvolutionLauncher b = new EvolutionLauncher(more, w -> { }); // no --space: the stored one
        EvolutionRun.Result r = run(b);
        assertThat(b.space()).isEqualTo(SearchSpace.DFS);
        assertThat(r.evaluations()).isEqualTo(8);
        try (RunStore s = RunStore.openReadOnly(storage)) {
            assertThat(s.candidates(1)).hasSize(4).allSatisfy(e -> assertThat(e.candidate().mergeYaml()).contains("passthrough"));
        }
        EvolutionLauncher c = new EvolutionLauncher(more, w -> { }).space(SearchSpace.PS);
        org.assertj.core.api.Assertions.assertThatThrownBy(c::prepare)
                .hasMessageContaining("--resume: the run in").hasMessageContaining("searches --space dfs, not ps.");
    }

    @Test
    void aModelListedTwiceIsLoadedOnceAndItsLayersShared() {
        Path a = setup.models().get(0);
        Path b = setup.models().get(1);
        try (ResidentSources s = ResidentSources.load(null, List.of(a, b, a.resolve("..").resolve("model-a")), 2)) {
            assertThat(s.size()).isEqualTo(3);
            assertThat(s.distinctLoaded()).isEqualTo(2);
            assertThat(s.layerCounts()).containsExactly(4, 4, 4);
            // model 2 is model 0: pointing at its layer is pointing at the host's own layer
            s.point(new LayerPath(List.of(new PathStep(0, 0, 1), new PathStep(2, 1, 1), new PathStep(1, 2, 1), new PathStep(0, 3, 1))));
            assertThat(s.host().model().layers()).hasSize(4);
            assertThat(s.host().model().layers().get(1).source()).isSameAs(s.host().model());
        }
    }

    @Test
    void aPsThenDfsRunResumesInItsDataFlowPhaseWithThatPhasesOptimizer() {
        Path storage = dir.resolve("ps-dfs-resume");
        EvolveOptions o = options(storage, OptimizerKind.CMAES, 0, 3, null);
        // stopped by --max-evaluations after the parameter phase: the data-flow phase is recorded but ran nothing
        EvolveOptions stopped = new EvolveOptions(o.genomeFile(), storage, false,
                new SearchOptions(OptimizerKind.CMAES, 0, 3, 7, 3, false, null), o.llm(), o.evaluation(), false, false, false);
        assertThat(run(new EvolutionLauncher(stopped, w -> { }).space(SearchSpace.PS_DFS)).evaluations()).isEqualTo(3);
        List<String> parameterRows;
        try (RunStore s = RunStore.openReadOnly(storage)) {
            assertThat(SearchPhases.read(s.meta(SearchPhases.KEY).orElseThrow()))
                    .containsExactly(new SearchPhases.Phase("ps", 0), new SearchPhases.Phase("dfs", 1));
            assertThat(s.candidates(1)).isEmpty();
            parameterRows = s.candidates(0).stream().map(e -> e.candidate().mergeYaml() + e.score()).toList();
        }
        // resumed (the stored space, no --space): the data-flow phase starts with a fresh optimizer of its own genes,
        // although the latest saved state is the parameter phase's
        EvolutionRun.Result second = run(new EvolutionLauncher(new EvolveOptions(o.genomeFile(), storage, true,
                o.search(), o.llm(), o.evaluation(), false, false, false), w -> { }));
        assertThat(second.evaluations()).isEqualTo(6);
        // resumed again with one more generation: the data-flow phase goes on from its own saved state
        EvolutionRun.Result third = run(new EvolutionLauncher(new EvolveOptions(o.genomeFile(), storage, true,
                new SearchOptions(OptimizerKind.CMAES, 1, null, 7, 3, false, null), o.llm(), o.evaluation(), false, false,
                false), w -> { }));
        assertThat(third.evaluations()).isEqualTo(9);
        try (RunStore s = RunStore.openReadOnly(storage)) {
            assertThat(SearchPhases.read(s.meta(SearchPhases.KEY).orElseThrow()))
                    .containsExactly(new SearchPhases.Phase("ps", 0), new SearchPhases.Phase("dfs", 1));
            assertThat(s.candidates(0).stream().map(e -> e.candidate().mergeYaml() + e.score()).toList())
                    .isEqualTo(parameterRows);
            for (int g = 1; g <= 2; g++) {
                assertThat(s.candidates(g)).hasSize(3).allSatisfy(e -> {
                    assertThat(e.candidate().mergeYaml()).contains("merge_method: passthrough");
                    assertThat(e.candidate().genes()).hasSize(2 * 12 + 3 * 3);
                });
            }
            assertThat(s.latestOptimizerState().orElseThrow().generation()).isEqualTo(2);
            double best = s.allCandidates().stream().filter(Evaluation::ok).mapToDouble(Evaluation::score).max().orElseThrow();
            assertThat(third.best().score()).isEqualTo(best);
        }
    }

    @Test
    void psThenDfsPutsTheBestMergeFirstInTheSourcePoolAndLabelsBothPhasesInOneStore() {
        Path storage = dir.resolve("ps-dfs");
        EvolutionLauncher launcher = new EvolutionLauncher(options(storage, OptimizerKind.CMAES, 0, 3, null), w -> { })
                .space(SearchSpace.PS_DFS);
        EvolutionRun.Result r = run(launcher);
        assertThat(r.evaluations()).isEqualTo(6);
        Path psModel = storage.resolve(ResidentMerge.FOLDER).toAbsolutePath();
        assertThat(psModel.resolve("config.json")).exists();
        assertThat(launcher.dataFlow().genome().models()).containsExactly(psModel.toString(),
                setup.models().get(0).toAbsolutePath().normalize().toString(), setup.models().get(1).toAbsolutePath().normalize().toString());
        try (RunStore s = RunStore.openReadOnly(storage)) {
            List<SearchPhases.Phase> phases = SearchPhases.read(s.meta(SearchPhases.KEY).orElseThrow());
            assertThat(phases).containsExactly(new SearchPhases.Phase("ps", 0), new SearchPhases.Phase("dfs", 1));
            assertThat(s.candidates(0)).hasSize(3).allSatisfy(e -> assertThat(e.candidate().mergeYaml()).contains("merge_method: linear"));
            assertThat(s.candidates(1)).hasSize(3).allSatisfy(e -> {
                assertThat(e.candidate().mergeYaml()).contains("merge_method: passthrough").contains(psModel.toString());
                assertThat(e.candidate().genes()).hasSize(2 * 12 + 3 * 3); // 2 repeats x (3 models x 4 layers) + 3 x 3 model-pair scales
            });
            assertThat(SearchPhases.phaseOf(phases, 0)).isEqualTo("ps");
            assertThat(SearchPhases.phaseOf(phases, 1)).isEqualTo("dfs");
            assertThat(s.meta(SearchPhases.DATA_FLOW_LAYOUT)).hasValueSatisfying(v -> assertThat(v).contains("data_flow"));
            // the best of both phases is the run's best
            double best = s.allCandidates().stream().filter(Evaluation::ok).mapToDouble(Evaluation::score).max().orElseThrow();
            assertThat(r.best().score()).isEqualTo(best);
        }
    }

    @Test
    void theLlmStrategyIsToldWhatThePathGenesMeanAndSamplesInclusionGenesWithinZeroAndOne() throws Exception {
        try (ScriptedOpenAiServer server = new ScriptedOpenAiServer()) {
            // a mean genome that asks for A1 twice and B2 (the hidden path's structure), scales at 50 = no scaling
            StringBuilder mean = new StringBuilder("[[[[");
            int[] on = {1, 9, 14};
            for (int i = 0; i < 20; i++) {
                int v = i >= 16 ? 50 : java.util.Arrays.binarySearch(on, i) >= 0 ? 100 : 0;
                mean.append(i > 0 ? ", " : "").append(v);
            }
            mean.append("]]]]");
            server.then(ScriptedOpenAiServer.Reply.content("{\"thought\": \"keep A1 twice and B2\", \"mean_genome\": " + mean + "}"));
            Path storage = dir.resolve("dfs-llm");
            EvolutionLauncher launcher = new EvolutionLauncher(options(storage, OptimizerKind.LLM, 1, 4, server.baseUrl()), w -> { })
                    .space(SearchSpace.DFS);
            run(launcher);
            List<JsonNode> chats = server.requests();
            assertThat(chats).hasSize(1);
            String system = chats.getFirst().get("messages").get(0).get("content").asText();
            assertThat(system).contains("path tokens take through the layers").contains("Genes 0 to 15 are inclusion probabilities")
                    .contains("starts with layer 0 of model 0").contains("Genes 16 to 19 are scales").contains("dimensions (1, 1, 1, 20)");
            try (RunStore s = RunStore.openReadOnly(storage)) {
                List<Evaluation> second = s.candidates(1);
                assertThat(second).hasSize(4);
                for (Evaluation e : second) {
                    for (double g : e.candidate().genes()) {
                        assertThat(g).isBetween(0.0, 1.0);
                    }
                }
            }
        }
    }
}
