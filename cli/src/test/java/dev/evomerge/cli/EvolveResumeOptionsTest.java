package dev.evomerge.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.evomerge.evolve.ResumedOptions;
import dev.evomerge.evolve.demo.HiddenRecipe;
import dev.evomerge.evolve.run.Evaluation;
import dev.evomerge.evolve.store.RunMeta;
import dev.evomerge.evolve.store.RunStore;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Real runs on synthetic models: what --resume takes from the stored run, and a run in which nothing scores. */
class EvolveResumeOptionsTest {

    @TempDir
    static Path dir;
    static HiddenRecipe.Setup setup;

    @BeforeAll
    static void models() {
        setup = HiddenRecipe.prepare(dir.resolve("demo"), 3, 8, 1);
    }

    static CliRun evolve(Path genome, Path storage, String... more) {
        List<String> args = new java.util.ArrayList<>(List.of("evolve", genome.toString(), "--storage-path", storage.toString(),
                "--quiet", "-j", "1"));
        args.addAll(List.of(more));
        return CliRun.run(args.toArray(String[]::new));
    }

    static JsonNode storedOptions(Path storage) throws Exception {
        try (RunStore s = RunStore.openReadOnly(storage)) {
            return new ObjectMapper().readTree(s.meta(RunMeta.OPTIONS).orElseThrow());
        }
    }

    static int candidates(Path storage) {
        try (RunStore s = RunStore.openReadOnly(storage)) {
            return s.allCandidates().size();
        }
    }

    /** A run of the random optimizer: generation 0 only, population 2, no final model. */
    static void firstRun(Path run) {
        CliRun first = evolve(setup.genomeFile(), run, "--optimizer", "random", "--max-generation", "0",
                "--force-population-size", "2", "--task-search-path", setup.taskDir().toString(), "--no-save-final-model");
        assertThat(first.exit()).as(first.err()).isZero();
        assertThat(candidates(run)).isEqualTo(2);
    }

    /**
     * Resumes {@link #firstRun} giving only --max-generation 1: the optimizer (else llm, which would need a key), the
     * population, the task folder and --no-save-final-model come from the stored run.
     */
    static void resumeForOneMoreGeneration(Path run) {
        CliRun more = evolve(setup.genomeFile(), run, "--resume", "--max-generation", "1");
        assertThat(more.exit()).as(more.err()).isZero();
        assertThat(more.err().lines().filter(l -> l.startsWith("evomerge: resume: ")).toList())
                .containsExactly("evomerge: resume: --max-generation 0 -> 1");
        assertThat(more.out()).contains("population 2, optimizer random").contains("resuming at generation 1");
        assertThat(candidates(run)).isEqualTo(4);
    }

    @Test
    void resumeKeepsTheStoredOptionsAndPrintsEachChange() throws Exception {
        Path run = dir.resolve("resumed");
        firstRun(run);

        // A refused value is named by its error and not announced as a change.
        CliRun refused = evolve(setup.genomeFile(), run, "--resume", "--max-generation", "-3");
        assertThat(refused.exit()).isEqualTo(2);
        assertThat(refused.err().strip()).isEqualTo("evomerge: --max-generation must be at least 0, got -3.");

        resumeForOneMoreGeneration(run);
        JsonNode o = storedOptions(run);
        assertThat(o.get("maxGeneration").asInt()).isEqualTo(1);
        assertThat(o.get("optimizer").asText()).isEqualTo("random");
        assertThat(o.get("forcePopulationSize").asInt()).isEqualTo(2);
        assertThat(o.get("saveFinalModel").asBoolean()).isFalse();
        assertThat(run.resolve("final_model")).doesNotExist();

        // The same values again change nothing and print nothing.
        CliRun same = evolve(setup.genomeFile(), run, "--resume", "--max-generation", "1", "--optimizer", "random");
        assertThat(same.exit()).as(same.err()).isZero();
        assertThat(same.err()).doesNotContain("resume:");
        assertThat(candidates(run)).isEqualTo(4);

        // A negated option and an alias count as given (under the option's own name).
        CliRun negated = evolve(setup.genomeFile(), run, "--resume", "--no-in-memory", "--max-fevals", "100");
        assertThat(negated.exit()).as(negated.err()).isZero();
        assertThat(negated.err().lines().filter(l -> l.startsWith("evomerge: resume: ")).toList()).containsExactly(
                "evomerge: resume: --in-memory true -> false", "evomerge: resume: --max-evaluations (unset) -> 100");
        assertThat(storedOptions(run).get("inMemory").asBoolean()).isFalse();
        assertThat(storedOptions(run).get("maxEvaluations").asInt()).isEqualTo(100);
        assertThat(storedOptions(run).get("maxGeneration").asInt()).isEqualTo(1);

        // What the saved optimizer state fixed cannot change: refused before anything is written.
        CliRun seed = evolve(setup.genomeFile(), run, "--resume", "--max-generation", "2", "--random-seed", "9");
        assertThat(seed.exit()).isEqualTo(2);
        assertThat(seed.err().strip()).isEqualTo("evomerge: --resume: --random-seed is part of the run's saved optimizer "
                + "state (0) and cannot change; drop it or start a new run.");
        assertThat(storedOptions(run).get("maxGeneration").asInt()).isEqualTo(1);
        assertThat(candidates(run)).isEqualTo(4);
    }

    /** The options row as evomerge wrote it before the options were grouped into records (one flat object). */
    private static final String OPTIONS_BEFORE_GROUPING = "{\"genomeFile\":\"GENOME\",\"storage\":\"STORAGE\","
            + "\"maxGeneration\":0,\"sigmaLow\":0.05,\"sigmaHigh\":0.2,\"maxRetries\":3,\"llmModel\":\"gpt-4o\","
            + "\"llmBaseUrl\":null,\"topK\":4,\"llmHistory\":0,\"elitism\":false,\"optimizer\":\"random\","
            + "\"strategy\":\"pool\",\"inMemory\":true,\"taskSearchPaths\":[\"TASKS\"],\"dataDir\":null,"
            + "\"batchSize\":16,\"randomSeed\":0,\"forcePopulationSize\":2,\"saveFinalModel\":false,"
            + "\"allowBenchmarkTasks\":false,\"maxEvaluations\":null,\"resume\":false,\"numWorkers\":1,"
            + "\"backend\":\"embedded\",\"evalServerCmd\":null,\"threads\":1,\"allowCrimes\":false,\"sigma0\":null,"
            + "\"timeout\":null,\"maxFallbacks\":3,\"llmMaxContextTokens\":null,\"llmPricePerMtok\":null,"
            + "\"populationSize\":2}";

    @Test
    void aRunStoredBeforeTheOptionsWereGroupedResumesWithItsOptions() throws Exception {
        Path run = dir.resolve("stored-flat");
        firstRun(run);
        String before = OPTIONS_BEFORE_GROUPING.replace("GENOME", setup.genomeFile().toUri().toString())
                .replace("STORAGE", run.toUri().toString()).replace("TASKS", setup.taskDir().toUri().toString());
        try (RunStore s = RunStore.open(run)) {
            // the grouped options are stored as the flat row they always were, to the byte
            assertThat(s.meta(RunMeta.OPTIONS)).contains(before);
            // a run.db written before: the same row, with a non-default value resume must take from it
            s.putMeta(RunMeta.OPTIONS, before.replace("\"batchSize\":16", "\"batchSize\":3"));
        }

        resumeForOneMoreGeneration(run);
        JsonNode o = storedOptions(run);
        assertThat(o.get("batchSize").asInt()).isEqualTo(3);
        assertThat(o.get("maxGeneration").asInt()).isEqualTo(1);
        assertThat(o.get("optimizer").asText()).isEqualTo("random");
        assertThat(run.resolve("final_model")).doesNotExist();
    }

    @Test
    void aRunInWhichEveryCandidateFailsExitsOneWithTheMostCommonError() throws Exception {
        Path genome = setup.genomeFile().resolveSibling("bad-metric.yml");
        Files.writeString(genome, Files.readString(setup.genomeFile()).replace("acc,none", "accuracy,none"));
        Path run = dir.resolve("all-failed");
        CliRun r = evolve(genome, run, "--optimizer", "random", "--max-generation", "1", "--force-population-size", "2",
                "--task-search-path", setup.taskDir().toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err().strip()).isEqualTo("evomerge: No candidate produced a score (4 evaluated, all failed); the most "
                + "common error (4 of 4): task hidden_recipe_mc reported no metric 'accuracy,none' (it has: acc,none, acc_norm,none)");
        try (RunStore s = RunStore.openReadOnly(run)) {
            assertThat(s.meta(RunMeta.STATUS)).contains("failed");
            assertThat(s.meta(RunMeta.ERROR).orElseThrow()).startsWith("No candidate produced a score");
            assertThat(s.allCandidates()).hasSize(4).noneMatch(Evaluation::ok);
        }
        // summary.json agrees with run.db
        assertThat(new com.fasterxml.jackson.databind.ObjectMapper().readTree(run.resolve("summary.json").toFile())
                .get("status").asText()).isEqualTo("failed");
        assertThat(run.resolve("final_model")).doesNotExist();
    }

    @Test
    void sigma0SetsCmaEsInitialStepAndMaxFevalsStopsTheRun() throws Exception {
        Path run = dir.resolve("sigma0");
        // x0 is weight 1/M = 0.5 for every gene; with the default step (1/6) samples spread over [0, 1].
        CliRun r = evolve(setup.genomeFile(), run, "--optimizer", "cmaes", "--sigma0", "0.000001", "--max-generation", "5",
                "--max-fevals", "2", "--force-population-size", "2", "--task-search-path", setup.taskDir().toString(),
                "--no-save-final-model");
        assertThat(r.exit()).as(r.err()).isZero();
        try (RunStore s = RunStore.openReadOnly(run)) {
            assertThat(s.allCandidates()).hasSize(2); // stopped after generation 0 by --max-fevals 2
            for (Evaluation c : s.allCandidates()) {
                assertThat(java.util.Arrays.stream(c.candidate().genes()).boxed().toList())
                        .allSatisfy(g -> assertThat(g).isCloseTo(0.5, org.assertj.core.data.Offset.offset(1e-4)));
            }
        }
        assertThat(storedOptions(run).get("sigma0").asDouble()).isEqualTo(1e-6);
    }

    @Test
    void everyStoredOptionIsFoundOnTheCommandLineUnderTheNameResumeLooksFor() {
        var evolve = Main.commandLine().getSubcommands().get("evolve").getCommandSpec();
        assertThat(ResumedOptions.storedNames()).hasSize(42).contains("llmModel", "optimizer", "allowCrimes");
        for (String name : ResumedOptions.storedNames()) {
            if (!name.equals("genomeFile")) { // the positional GENOME
                assertThat(evolve.findOption(ResumedOptions.optionName(name))).as(name).isNotNull();
            }
        }
    }
}
