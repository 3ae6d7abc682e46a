package dev.evomerge.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** Bad input to `evomerge evolve` gives one sentence, exit 2, and writes nothing. */
class EvolveCommandTest {


    static Path genome(Path dir, String body) throws Exception {
        Files.createDirectories(dir.resolve("a"));
        Files.writeString(dir.resolve("a/config.json"), "{\"architectures\": [\"LlamaForCausalLM\"], \"model_type\": \"llama\", \"num_hidden_layers\": 4}");
        Path g = dir.resolve("genome.yml");
        Files.writeString(g, body.replace("DIR", dir.toString()));
        return g;
    }

    @Test
    void aMissingModelDirectoryIsNamed(@TempDir Path dir) throws Exception {
        Path g = genome(dir, "genome: {models: [DIR/a, DIR/nowhere], merge_method: task_arithmetic, base_model: DIR/a}\ntasks: [t]\n");
        CliRun r = CliRun.run("evolve", g.toString(), "--storage-path", dir.resolve("run").toString(), "--optimizer", "cmaes");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("genome.models: Model '" + dir + "/nowhere' (looked at " + dir + "/nowhere) is not a local"
                + " directory; check the path");
        assertThat(dir.resolve("run")).doesNotExist();
    }

    @Test
    void relativeModelPathsResolveAgainstTheWorkingDirectoryNotTheGenomesFolder(@TempDir Path dir) throws Exception {
        Path g = genome(dir, "genome: {models: [a], merge_method: linear}\ntasks: [t]\n"); // DIR/a exists, CWD/a does not
        CliRun r = CliRun.run("evolve", g.toString(), "--storage-path", dir.resolve("run").toString(), "--optimizer", "cmaes");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("genome.models: Model 'a' (looked at " + Path.of("").toAbsolutePath().resolve("a")
                + ") is not a local directory; evomerge does not download models, so download it first");
    }

    @Test
    void aTokenizerSourceModelIsCheckedLikeTheModels(@TempDir Path dir) throws Exception {
        Path g = genome(dir, "genome: {models: [DIR/a], merge_method: linear, tokenizer_source: tok}\ntasks: [t]\n");
        CliRun r = CliRun.run("evolve", g.toString(), "--storage-path", dir.resolve("run").toString(), "--optimizer", "cmaes");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("genome.tokenizer_source: Model 'tok' (looked at " + Path.of("").toAbsolutePath().resolve("tok")
                + ") is not a local directory");
        Path union = genome(dir, "genome: {models: [DIR/a], merge_method: linear, tokenizer_source: union}\ntasks: [no_such_task_anywhere]\n");
        CliRun u = CliRun.run("evolve", union.toString(), "--storage-path", dir.resolve("run").toString(), "--optimizer", "cmaes");
        assertThat(u.err()).doesNotContain("tokenizer_source").contains("no_such_task_anywhere"); // union and base are no models
    }

    @Test
    void benchmarkTasksNeedTheSeedsLongFlag(@TempDir Path dir) throws Exception {
        Path g = genome(dir, "genome: {models: [DIR/a], merge_method: linear}\ntasks: [arc_challenge]\n");
        CliRun r = CliRun.run("evolve", g.toString(), "--storage-path", dir.resolve("run").toString(), "--optimizer", "cmaes");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("arc_challenge").contains("--i-understand-the-depths-of-the-evils-i-am-unleashing");
        assertThat(dir.resolve("run")).doesNotExist();
    }

    @Test
    void granularityMustDivideTheLayerCount(@TempDir Path dir) throws Exception {
        Path g = genome(dir, "genome: {models: [DIR/a], merge_method: linear, layer_granularity: 3}\ntasks: [t]\n");
        CliRun r = CliRun.run("evolve", g.toString(), "--storage-path", dir.resolve("run").toString(), "--optimizer", "cmaes");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("layer_granularity 3 must divide the layer count 4");
    }

    @Test
    void anExistingRunNeedsResumeAndResumeNeedsARun(@TempDir Path dir) throws Exception {
        Path g = genome(dir, "genome: {models: [DIR/a], merge_method: linear}\ntasks: [t]\n");
        Path run = Files.createDirectories(dir.resolve("run"));
        CliRun r1 = CliRun.run("evolve", g.toString(), "--storage-path", run.toString(), "--optimizer", "cmaes", "--resume");
        assertThat(r1.exit()).isEqualTo(2);
        assertThat(r1.err()).contains("holds no run.db to resume");
        Files.writeString(run.resolve("run.db"), "");
        CliRun r2 = CliRun.run("evolve", g.toString(), "--storage-path", run.toString(), "--optimizer", "cmaes");
        assertThat(r2.exit()).isEqualTo(2);
        assertThat(r2.err()).contains("already holds a run").contains("--resume");
    }

    @Test
    void theLlmOptimizerWithoutAKeyForOpenAiSaysHowToGiveOne(@TempDir Path dir) throws Exception {
        Path g = genome(dir, "genome: {models: [DIR/a], merge_method: linear}\ntasks: [t]\n");
        CliRun r = CliRun.run("evolve", g.toString(), "--storage-path", dir.resolve("run").toString(), "--optimizer", "bogus");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--optimizer must be llm, cmaes or random");
    }

    @Test
    void anUnknownTaskIsNamedBeforeAnythingIsWritten(@TempDir Path dir) throws Exception {
        Path g = genome(dir, "genome: {models: [DIR/a], merge_method: linear}\ntasks: [no_such_task_anywhere]\n");
        CliRun r = CliRun.run("evolve", g.toString(), "--storage-path", dir.resolve("run").toString(), "--optimizer", "cmaes");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("no_such_task_anywhere");
        assertThat(dir.resolve("run")).doesNotExist();
    }
}
