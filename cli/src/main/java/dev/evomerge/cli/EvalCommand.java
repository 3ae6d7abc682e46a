package dev.evomerge.cli;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.engine.LoadOptions;
import dev.evomerge.eval.EvaluationListener;
import dev.evomerge.eval.EvaluationOptions;
import dev.evomerge.eval.EvaluationResults;
import dev.evomerge.eval.Evaluator;
import dev.evomerge.eval.ResultsTable;
import dev.evomerge.eval.ResultsWriter;
import dev.evomerge.eval.data.DatasetLoader;
import dev.evomerge.eval.model.LanguageModel;
import dev.evomerge.eval.model.LanguageModels;
import dev.evomerge.eval.model.Progress;
import dev.evomerge.eval.task.TaskCatalog;
import dev.evomerge.evolve.local.EvaluationBackend;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.concurrent.Callable;

/** {@code evomerge eval}: lm-evaluation-harness-compatible evaluation of a model on task YAMLs. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = {"Evaluate a model on lm-evaluation-harness task YAMLs (bundled, or from --include-path) and "
                + "write lm-eval's results JSON.",
                "Backends: the in-JVM engine (default) or any OpenAI-compatible /v1/completions server."})
final class EvalCommand extends CliCommand implements Callable<Integer> {

    @Option(names = "--model", paramLabel = "DIR",
            description = "Model directory (config.json, safetensors, tokenizer.json); with openai-completions only "
                    + "its tokenizer and config are read.")
    Path model;

    @Option(names = "--tasks", paramLabel = "LIST", split = ",",
            description = "Comma-separated tasks, groups, tags or task YAML paths.")
    List<String> tasks = new ArrayList<>();

    @Option(names = "--include-path", paramLabel = "DIR", description = "Directory of extra task YAMLs (repeatable).")
    List<Path> includePaths = new ArrayList<>();

    @Option(names = "--num-fewshot", paramLabel = "N", description = "Few-shot examples for every task (overrides the YAMLs).")
    Integer numFewshot;

    @Option(names = "--limit", paramLabel = "N",
            description = "Only the first N documents per task (or a fraction below 1); for testing only.")
    Double limit;

    @Option(names = "--batch-size", paramLabel = "N",
            description = "Requests per model call (default 32 embedded; prompts per HTTP request for "
                    + "openai-completions, default 1).")
    Integer batchSize;

    @Option(names = "--output-path", paramLabel = "PATH",
            description = "Results file (*.json) or directory (gets <model>/results_<time>.json).")
    Path outputPath;

    @Option(names = "--log-samples", description = "Also write per-document samples_<task>_<time>.jsonl (needs --output-path).")
    boolean logSamples;

    @Option(names = "--backend", paramLabel = "NAME", defaultValue = EvaluationBackend.DEFAULT,
            description = "embedded or openai-completions (default: ${DEFAULT-VALUE}).")
    EvaluationBackend backend;

    @Option(names = "--base-url", paramLabel = "URL",
            description = "The completions server for openai-completions, e.g. http://127.0.0.1:8000/v1.")
    String baseUrl;

    @Option(names = "--model-name", paramLabel = "NAME",
            description = "The 'model' field sent to the server (default: the --model path).")
    String modelName;

    @Option(names = "--apply-chat-template", description = "Render prompts with the model's chat template.")
    boolean applyChatTemplate;

    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "Root of local copies of hub datasets: DIR/<dataset_path>/<dataset_name|default>/<split>.jsonl "
                    + "(default: $EVOMERGE_DATA).")
    Path dataDir;

    @Option(names = "--bootstrap-iters", paramLabel = "N", defaultValue = "100000",
            description = "Bootstrap resamples for non-mean stderrs; 0 turns stderr off (default: ${DEFAULT-VALUE}).")
    int bootstrapIters;

    @Option(names = "--fewshot-seed", paramLabel = "N", defaultValue = "1234",
            description = "Seed of the random few-shot sampler (default: ${DEFAULT-VALUE}).")
    long fewshotSeed;

    @Option(names = "--add-bos-token", paramLabel = "BOOL", defaultValue = "true", arity = "1",
            description = "Encode prompts and perplexity documents with the tokenizer's special tokens (BOS), as "
                    + "lm-eval's hf backend (default: ${DEFAULT-VALUE}).")
    boolean addBosToken;

    @CommandLine.Mixin
    EngineCliOptions engine;

    @Option(names = "--max-length", paramLabel = "N",
            description = "Tokens the model reads per window, the same rule on both backends (default: the model's "
                    + "max_position_embeddings embedded; the server's max_model_len - 2 for openai-completions).")
    Integer maxLength;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "600",
            description = "Per-request timeout for openai-completions (default: ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    @Option(names = "--list-tasks", description = "List the known tasks, groups and tags, then exit.")
    boolean listTasks;

    @Override
    public Integer call() {
        PrintWriter out = out();
        PrintWriter err = err();
        EvaluationListener listener = listener(err);
        TaskCatalog catalog = TaskCatalog.load(includePaths, listener::warning);
        if (listTasks) {
            out.println("tasks:  " + String.join(", ", catalog.taskNames()));
            out.println("groups: " + String.join(", ", catalog.groupNames()));
            out.println("tags:   " + String.join(", ", catalog.tagNames()));
            return 0;
        }
        if (tasks.isEmpty()) {
            throw EvomergeException.usage("--tasks is required (a comma-separated list; --list-tasks shows them)");
        }
        if (logSamples && outputPath == null) {
            throw EvomergeException.usage("--log-samples needs --output-path to know where to write the samples");
        }
        if (outputPath != null) {
            ResultsWriter.checkWritable(outputPath);
        }
        if (model == null) {
            throw EvomergeException.usage("--model DIR is required (for openai-completions it gives the tokenizer)");
        }
        if (!Files.isDirectory(model)) {
            throw EvomergeException.usage("--model " + model + " is not a directory");
        }
        EvaluationOptions options = new EvaluationOptions(
                numFewshot == null ? OptionalInt.empty() : OptionalInt.of(numFewshot),
                limit == null ? OptionalDouble.empty() : OptionalDouble.of(limit),
                bootstrapIters, fewshotSeed, applyChatTemplate, logSamples);
        TaskCatalog.Selection selection = catalog.select(tasks.stream().flatMap(t -> Arrays.stream(t.split(",")))
                .map(String::strip).filter(s -> !s.isEmpty()).toList());
        Evaluator evaluator = new Evaluator(new DatasetLoader(DatasetLoader.dataRoot(Optional.ofNullable(dataDir))),
                listener);
        EvaluationResults results;
        try (LanguageModel lm = openModel(listener::warning)) {
            results = evaluator.evaluate(selection, lm, options);
        }
        out.println(results.modelInfo().getOrDefault("model", results.model()) + " ("
                + results.modelInfo().getOrDefault("model_args", "") + "), limit: " + (limit == null ? "None"
                : limit == Math.rint(limit) ? String.valueOf(limit.longValue()) : String.valueOf(limit))
                + ", num_fewshot: " + (numFewshot == null ? "None" : numFewshot) + ", batch_size: "
                + results.modelInfo().getOrDefault("batch_size", ""));
        out.print(ResultsTable.markdown(results));
        out.flush();
        if (outputPath != null) {
            ResultsWriter.Written w = ResultsWriter.write(results, outputPath, LocalDateTime.now());
            err.println("evomerge: wrote " + w.results());
            w.samples().forEach(p -> err.println("evomerge: wrote " + p));
        }
        return 0;
    }

    private LanguageModel openModel(java.util.function.Consumer<String> warnings) {
        switch (backend) {
            case EMBEDDED -> {
                if (baseUrl != null) {
                    throw EvomergeException.usage("--base-url is for --backend openai-completions");
                }
                LoadOptions load = engine.load(LoadOptions.defaults(), err());
                return LanguageModels.embedded(model, load, addBosToken, batchSize == null ? 32 : batchSize,
                        Optional.ofNullable(maxLength));
            }
            case OPENAI_COMPLETIONS -> {
                if (baseUrl == null) {
                    throw EvomergeException.usage("--backend openai-completions needs --base-url, e.g. http://127.0.0.1:8000/v1");
                }
                return LanguageModels.openAiCompletions(model, baseUrl, modelName == null ? model.toString() : modelName,
                        addBosToken, batchSize == null ? 1 : batchSize, Optional.ofNullable(maxLength),
                        Duration.ofSeconds(timeoutSeconds), warnings);
            }
        }
        throw new IllegalStateException("every backend is handled above: " + backend);
    }

    /** Warnings to stderr; a progress bar only when stdout is a terminal. */
    private EvaluationListener listener(PrintWriter err) {
        boolean terminal = engine.progressBars();
        return new EvaluationListener() {
            private ProgressBar bar;

            @Override
            public void warning(String message) {
                warn(message);
            }

            @Override
            public Progress phase(String name, int total) {
                if (!terminal) {
                    return Progress.NONE;
                }
                ProgressBar b = new ProgressBar(err, name, total, "requests", true);
                bar = b;
                return b::step;
            }

            @Override
            public void phaseDone() {
                if (bar != null) {
                    bar.close();
                    bar = null;
                }
            }
        };
    }
}
