package dev.evomerge.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

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
        CliRun r = CliRun.run("evolve", g.toString(), "--storage-path", dir.resolve("run").toString(), "--optimizer", "LLM");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err().strip()).isEqualTo("evomerge: --optimizer must be llm, cmaes, random or nsga2, got 'LLM'.");
    }

    @Test
    void demoRefusesAnUnknownOptimizerBeforeWritingAnything(@TempDir Path dir) {
        CliRun r = CliRun.run("demo", "--work-dir", dir.resolve("demo").toString(), "--optimizer", "cma-es");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err().strip()).isEqualTo("evomerge: --optimizer must be llm, cmaes, random or nsga2, got 'cma-es'.");
        assertThat(dir.resolve("demo")).doesNotExist();
    }

    @Test
    void anUnknownTaskIsNamedBeforeAnythingIsWritten(@TempDir Path dir) throws Exception {
        Path g = genome(dir, "genome: {models: [DIR/a], merge_method: linear}\ntasks: [no_such_task_anywhere]\n");
        CliRun r = CliRun.run("evolve", g.toString(), "--storage-path", dir.resolve("run").toString(), "--optimizer", "cmaes");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("no_such_task_anywhere");
        assertThat(dir.resolve("run")).doesNotExist();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "--max-generation|-3|--max-generation must be at least 0, got -3.",
            "--max-evaluations|0|--max-evaluations (--max-fevals) must be at least 1, got 0.",
            "--max-fevals|-1|--max-evaluations (--max-fevals) must be at least 1, got -1.",
            "--sigma-low|0|--sigma-low must be a positive number, got 0.0.",
            "--sigma-high|NaN|--sigma-high must be a positive number, got NaN.",
            "--sigma0|-0.1|--sigma0 must be a positive number, got -0.1.",
            "--max-retries|0|--max-retries must be at least 1, got 0.",
            "--top-k|0|--top-k must be at least 1, got 0.",
            "--llm-history|-2|--llm-history must be at least 0, got -2.",
            "--batch-size|0|--batch-size must be at least 1, got 0.",
            "--force-population-size|1|--force-population-size must be at least 2, got 1.",
            "--num-workers|0|--num-workers must be at least 1, got 0.",
            "--threads|0|--threads must be at least 1, got 0.",
            "--timeout|0|--timeout must be at least 1, got 0.",
            "--backend|vllm|--backend must be embedded or openai-completions, got 'vllm'.",
            "--strategy|eager|--strategy must be pool, buffered or serial, got 'eager'.",
            "-s|''|--strategy must be pool, buffered or serial, got ''."})
    void aNumberThatMeansNothingIsRefusedByItsOptionBeforeAnythingIsWritten(String option, String value, String message,
                                                                             @TempDir Path dir) throws Exception {
        Path g = genome(dir, "genome: {models: [DIR/a], merge_method: linear}\ntasks: [t]\n");
        CliRun r = CliRun.run("evolve", g.toString(), "--storage-path", dir.resolve("run").toString(), "--optimizer", "cmaes",
                option, value);
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err().strip()).isEqualTo("evomerge: " + message);
        assertThat(dir.resolve("run")).doesNotExist();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "--eval-timeout|0|--eval-timeout must be at least 1 second, got 0.",
            "--min-workers|0|--min-workers must be at least 1, got 0.",
            "--timeout|60|--timeout bounds evaluations in this process; on a cluster use --eval-timeout.",
            "--bind|0.0.0.0|--bind 0.0.0.0 listens on every network interface"})
    void clusterOptionsAreCheckedBeforeAnythingIsWritten(String option, String value, String message, @TempDir Path dir)
            throws Exception {
        Path g = genome(dir, "genome: {models: [DIR/a], merge_method: linear}\ntasks: [t]\n");
        CliRun r = CliRun.run("evolve", g.toString(), "--storage-path", dir.resolve("run").toString(), "--optimizer", "cmaes",
                "--cluster-name", "c", option, value);
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).startsWith("evomerge: " + message);
        assertThat(dir.resolve("run")).doesNotExist();
    }

    @Test
    void aClusterReachableFromOtherMachinesNeedsASecretThatIsNeverShown(@TempDir Path dir) throws Exception {
        Path g = genome(dir, "genome: {models: [a], merge_method: linear}\ntasks: [t]\n");
        String needs = "--bind 0.0.0.0 is reachable from other machines, so the cluster needs a secret: pass --cluster-secret-file "
                + "PATH or set the environment variable EVOMERGE_CLUSTER_SECRET (the same on every member).";
        CliRun r = CliRun.run("evolve", g.toString(), "--storage-path", dir.resolve("run").toString(), "--optimizer", "cmaes",
                "--cluster-name", "c", "--bind", "0.0.0.0", "--allow-public-bind");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err().strip()).isEqualTo("evomerge: " + needs);
        CliRun w = CliRun.run("worker", "--cluster-name", "c", "--members", "127.0.0.1", "--bind", "0.0.0.0", "--allow-public-bind");
        assertThat(w.exit()).isEqualTo(2);
        assertThat(w.err().strip()).isEqualTo("evomerge: " + needs);

        Path secret = dir.resolve("secret");
        Files.writeString(secret, "tooshort\n");
        CliRun s = CliRun.run("evolve", g.toString(), "--storage-path", dir.resolve("run").toString(), "--optimizer", "cmaes",
                "--cluster-name", "c", "--cluster-secret-file", secret.toString());
        assertThat(s.exit()).isEqualTo(2);
        assertThat(s.err().strip()).isEqualTo("evomerge: The cluster secret in --cluster-secret-file " + secret
                + " is shorter than 16 characters; use a long random one (e.g. `openssl rand -hex 32`).");
        assertThat(s.err() + s.out()).doesNotContain("tooshort");
        assertThat(dir.resolve("run")).doesNotExist();
    }

    @Test
    void aStoragePathThroughAFileIsRefusedNamingTheFile(@TempDir Path dir) throws Exception {
        Path g = genome(dir, "genome: {models: [DIR/a], merge_method: linear}\ntasks: [t]\n");
        Path file = Files.writeString(dir.resolve("afile"), "x");
        for (Path storage : List.of(file, file.resolve("sub"))) {
            CliRun r = CliRun.run("evolve", g.toString(), "--storage-path", storage.toString(), "--optimizer", "cmaes");
            assertThat(r.exit()).isEqualTo(2);
            assertThat(r.err().strip()).isEqualTo("evomerge: --storage-path " + storage + ": " + file + " is a file, not a folder.");
            assertThat(r.out()).isEmpty();
        }
    }

    @Test
    void sigma0BelongsToCmaEs(@TempDir Path dir) throws Exception {
        Path g = genome(dir, "genome: {models: [DIR/a], merge_method: linear}\ntasks: [t]\n");
        CliRun r = CliRun.run("evolve", g.toString(), "--storage-path", dir.resolve("run").toString(), "--optimizer", "random",
                "--sigma0", "0.3");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--sigma0 is CMA-ES's initial step size: use it with --optimizer cmaes");
    }

    @ParameterizedTest
    @ValueSource(strings = {"buffered", "BUFFERED"}) // a strategy is read in any case
    void bufferedWithoutNoInMemoryIsRefusedBeforeTheRunExists(String strategy, @TempDir Path dir) throws Exception {
        Path g = genome(dir, "genome: {models: [DIR/a], merge_method: linear}\ntasks: [t]\n");
        CliRun r = CliRun.run("evolve", g.toString(), "--storage-path", dir.resolve("run").toString(), "--optimizer", "cmaes",
                "--strategy", strategy);
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err().strip()).isEqualTo("evomerge: --strategy buffered merges ahead to disk: use it with --no-in-memory.");
        // so the corrected command does not meet "already holds a run"
        assertThat(dir.resolve("run")).doesNotExist();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "--vllm||pass --eval-server URL, as the recipe in docs/evolution.md, \"Evaluating on running inference servers\" shows.",
            "--num-gpus|2|start one inference server per GPU and give each as --eval-server URL, as the recipe in docs/evolution.md",
            "--merge-cuda||evomerge merges on the CPU",
            "--wandb||`evomerge dashboard --storage-path STORAGE`",
            "--wandb-project|p|`evomerge dashboard --storage-path STORAGE`",
            "--wandb-entity|e|`evomerge dashboard --storage-path STORAGE`",
            "--load-in-8bit||--eval-server-cmd",
            "--load-in-4bit||--eval-server-cmd"})
    void mergekitEvolveOptionsSayWhatToDoInstead(String option, String value, String hint, @TempDir Path dir) throws Exception {
        Path g = genome(dir, "genome: {models: [DIR/a], merge_method: linear}\ntasks: [t]\n");
        List<String> args = new ArrayList<>(List.of("evolve", g.toString(), "--storage-path", dir.resolve("run").toString(),
                option));
        if (value != null) {
            args.add(value);
        }
        CliRun r = CliRun.run(args.toArray(String[]::new));
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).startsWith("evomerge: " + option + ": ").contains(hint).doesNotContain("Unknown option");
        assertThat(r.err().strip().lines()).hasSize(1);
        assertThat(dir.resolve("run")).doesNotExist();
    }

    @ParameterizedTest
    @ValueSource(strings = {"--no-vllm", "--no-merge-cuda", "--no-wandb", "--reshard", "--no-reshard", "--trust-remote-code",
            "--no-trust-remote-code"})
    void mergekitEvolveOptionsThatChangeNothingAreAccepted(String option, @TempDir Path dir) throws Exception {
        // The run then stops at the next problem, the missing model: proof that the option itself was accepted.
        Path g = genome(dir, "genome: {models: [DIR/a, DIR/nowhere], merge_method: linear}\ntasks: [t]\n");
        CliRun r = CliRun.run("evolve", g.toString(), "--storage-path", dir.resolve("run").toString(), "--optimizer", "cmaes",
                option);
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("genome.models: Model '" + dir + "/nowhere' (looked at " + dir + "/nowhere) is not a local");
        if (option.equals("--trust-remote-code")) {
            assertThat(r.err()).contains("evomerge: warning: --trust-remote-code has no effect: evomerge runs no model code");
        } else {
            assertThat(r.err().strip().lines()).hasSize(1);
        }
    }

    @Test
    void theSeedsInMemoryWithAServerPoolPointsAtTheRecipe(@TempDir Path dir) throws Exception {
        Path g = genome(dir, "genome: {models: [DIR/a], merge_method: linear}\ntasks: [t]\n");
        CliRun r = CliRun.run("evolve", g.toString(), "--storage-path", dir.resolve("run").toString(), "--in-memory",
                "--eval-server", "http://127.0.0.1:30000");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err().strip()).isEqualTo("evomerge: --in-memory merges into this process's engine; --eval-server"
                + " servers reload each candidate's weights instead (the seed's in-memory vLLM): drop --in-memory, see"
                + " docs/evolution.md, \"Evaluating on running inference servers\".");
        CliRun both = CliRun.run("evolve", g.toString(), "--storage-path", dir.resolve("run").toString(),
                "--eval-server", "http://127.0.0.1:30000", "--eval-server-cmd", "x {model} {port}");
        assertThat(both.exit()).isEqualTo(2);
        assertThat(both.err()).contains("--eval-server uses servers that are already running, --eval-server-cmd");
        assertThat(dir.resolve("run")).doesNotExist();
    }

    @Test
    void aWorkerTakesEitherRunningServersOrAServerCommand() {
        CliRun r = CliRun.run("worker", "--cluster-name", "c", "--members", "127.0.0.1:5701", "--eval-server",
                "http://127.0.0.1:30000", "--eval-server-cmd", "x {model} {port}");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err().strip()).isEqualTo("evomerge: --eval-server uses servers that are already running,"
                + " --eval-server-cmd starts one per candidate: give one of the two.");
        CliRun bad = CliRun.run("worker", "--cluster-name", "c", "--members", "127.0.0.1:5701", "--eval-server",
                "http://127.0.0.1:30000", "--eval-server-reload", "tgi");
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err().strip()).isEqualTo("evomerge: --eval-server-reload must be one of detect, sglang, vllm,"
                + " evomerge, none, got 'tgi'.");
    }
}
